// Data-parallel training's correctness, run by ctest under mpirun with 2 and 3 ranks (over shared
// memory and over TCP). Every rank checks
//   - the collectives: all_reduce sums and scales, broadcast copies rank 0's values;
//   - distribute + fit: N ranks, each fitting its shard (Dataset::shard) in batches of B / N, end
//     with the weights one process gets fitting all the data in batches of B, to float tolerance,
//     starting from different initialisations (and dropout generators) on each rank: the mlp with
//     Adam (its gradients in 2 buckets), and a cnn with augmentation and dropout (each rank draws
//     the shifts and dropout masks of its rows of the global batch);
//   - the logs: every rank's history (training loss and accuracy, validation loss and accuracy) is
//     the one process's, reduced over the ranks; the callbacks that write run on rank 0 only;
//   - resuming on another number of ranks: a checkpoint rank 0 saved from the N-rank run continues
//     in one process, and one saved by one process continues on N ranks, both as one process would;
//   - epochs end together when the shards differ in length.
// Each rank prints its result; the exit status is 0 only if every rank passed (reduced over ranks).
//
// With an argument it checks a failure instead: `throw` makes rank 1's dataset throw in its third
// batch, `kill` makes rank 1 kill itself there; the job must end (non-zero), not hang.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/distributed.hpp"
#include "nn/nn.hpp"

namespace dist = nn::distributed;
using namespace nn;

namespace {

Model mlp(uint64_t seed) {
  manual_seed(seed);
  Sequential m;
  m.add(Input({20}, "x"));
  m.add<Dense>(16, "relu");
  m.add<Dense>(5, "softmax");
  m.compile(std::make_shared<Adam>(0.01f), "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

Model cnn(uint64_t seed) {
  manual_seed(seed);  // also seeds Dropout's generator: different on every rank until distribute()
  Sequential m;
  m.add(Input({1, 6, 6}, "image"));
  m.add<RandomTranslation>(RandomTranslationOptions(0.2f, 0.2f));  // each rank draws its rows' shifts
  m.add<Conv2D>(Conv2DOptions(4, Size2(3)).activation("relu"));
  m.add<MaxPool2D>(Size2(2));
  m.add<Flatten>();
  m.add<Dropout>(0.3f);
  m.add<Dense>(5, "softmax");
  m.compile(std::make_shared<SGD>(0.05f), "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

float max_difference(const Model& a, const Model& b) {
  const auto wa = a.get_weights(), wb = b.get_weights();
  float m = 0.0f;
  for (size_t i = 0; i < wa.size(); ++i) {
    const auto x = wa[i].to_vector(), y = wb[i].to_vector();
    for (size_t j = 0; j < x.size(); ++j) m = std::max(m, std::fabs(x[j] - y[j]));
  }
  return m;
}

// The largest difference between two histories' values, over the keys of `a` (missing keys: inf).
double history_difference(const History& a, const History& b) {
  double m = 0.0;
  for (const auto& [key, values] : a.history) {
    const auto it = b.history.find(key);
    if (it == b.history.end() || it->second.size() != values.size()) return INFINITY;
    for (size_t i = 0; i < values.size(); ++i) m = std::max(m, std::fabs(values[i] - it->second[i]));
  }
  return m;
}

struct Data {
  Tensor x, y;
};

Data labelled_data(int64_t n, const Shape& shape, uint64_t seed) {
  Generator g(seed);
  Shape full{n};
  full.insert(full.end(), shape.begin(), shape.end());
  std::vector<float> xs(static_cast<size_t>(numel(full)));
  std::vector<int64_t> ys(static_cast<size_t>(n));
  for (auto& v : xs) v = g.uniform(-1.0f, 1.0f);
  for (auto& v : ys) v = static_cast<int64_t>(g.below(5));
  return {Tensor::from_vector(full, xs), Tensor::from_vector({n}, ys)};
}

FitOptions quiet(int epochs) {
  FitOptions o;
  o.epochs(epochs).verbose(0);
  return o;
}

int run_failure(const std::string& how, int rank, int n) {
  const Data d = labelled_data(96, {20}, 5);
  Model m = mlp(1);
  dist::distribute(m);
  auto ds = data::Dataset::from_tensor_slices(d.x, d.y).shard(n, rank).batch(12 / n);
  if (rank == 1)
    ds = ds.map([how, k = std::make_shared<int>(0)](data::Example e) {
      if (++*k == 3 * (12 / 2)) {  // the third batch
        if (how == "kill") std::raise(SIGKILL);
        throw std::runtime_error("a bad element in rank 1's data");
      }
      return e;
    });
  m.fit(ds, quiet(50));
  std::printf("rank %d: fit returned, but rank 1 failed\n", rank);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  dist::init();
  const int rank = dist::rank(), n = dist::size();
  if (argc > 1) return run_failure(argv[1], rank, n);
  std::vector<std::string> failures;
  const auto expect = [&](bool ok, const std::string& what) {
    if (!ok) failures.push_back(what);
  };

  // The collectives.
  Tensor a = Tensor::from_vector({2}, std::vector<float>{static_cast<float>(rank), 1.0f});
  Tensor b = Tensor::full({3}, static_cast<float>(rank + 1));
  dist::all_reduce({a, b}, 0.5f);
  const float ranks_sum = static_cast<float>(n * (n - 1) / 2);
  expect(a.to_vector() == std::vector<float>{0.5f * ranks_sum, 0.5f * static_cast<float>(n)},
         fmt::format("all_reduce gave [{}]", fmt::join(a.to_vector(), ", ")));
  expect(b.to_vector() == std::vector<float>(3, 0.5f * static_cast<float>(n * (n + 1) / 2)),
         fmt::format("all_reduce gave [{}] for the second tensor", fmt::join(b.to_vector(), ", ")));
  Tensor c = Tensor::full({4}, static_cast<float>(10 + rank));
  dist::broadcast({c}, 0);
  expect(c.to_vector() == std::vector<float>(4, 10.0f), "broadcast did not copy rank 0's values");

  // The global batch is 12 (a multiple of 2 and 3); the shards of 96 rows are equal.
  const int64_t global_batch = 12;
  const auto sharded = [&](const Data& d) {
    return data::Dataset::from_tensor_slices(d.x, d.y).shard(n, rank).batch(global_batch / n);
  };
  const auto whole = [&](const Data& d) { return data::Dataset::from_tensor_slices(d.x, d.y).batch(global_batch); };
  float largest = 0.0f;

  // The mlp: weights and every log, with validation data sharded too.
  {
    const Data d = labelled_data(96, {20}, 5), v = labelled_data(36, {20}, 6);
    Model reference = mlp(1);
    const History h1 = reference.fit(whole(d), quiet(2).validation_data(whole(v)));
    Model parallel = mlp(rank == 0 ? 1 : 100 + static_cast<uint64_t>(rank));
    dist::distribute(parallel, 256);  // buckets closed at 256 bytes: two
    dist::reset_stats();
    const std::string dir = fmt::format("distributed_check_{}", n);
    std::filesystem::create_directories(dir);
    const std::string csv = fmt::format("{}/history_rank{}.csv", dir, rank);
    std::filesystem::remove(csv);
    const History hn = parallel.fit(sharded(d), quiet(2).validation_data(sharded(v)).callbacks(
                                                    {std::make_shared<CSVLogger>(csv)}));
    const float diff = max_difference(parallel, reference);
    largest = std::max(largest, diff);
    expect(diff <= 1e-5f, fmt::format("mlp: weights differ from one process's by {}", diff));
    // 16 steps, 2 buckets each ({bias 2, kernel 2} reach 256 bytes, then {bias 1, kernel 1}): 421
    // floats a step.
    const dist::Stats st = dist::stats();
    expect(st.all_reduces == 16 * 2 && st.bytes == 16 * 421 * 4,
           fmt::format("expected 32 bucket all-reduces of 26,944 bytes in all, stats say {} calls, {} bytes",
                       st.all_reduces, st.bytes));
    const double logs = history_difference(h1, hn);
    expect(logs <= 1e-5, fmt::format("mlp: the logs differ from one process's by {}", logs));
    expect(hn.history.count("val_accuracy") == 1, "mlp: no val_accuracy in the history");
    expect(std::filesystem::exists(csv) == (rank == 0), "the CSVLogger wrote on a rank other than 0, or not on rank 0");
    // evaluate reduces too: every rank reports the whole validation set's loss.
    const double val = parallel.evaluate(sharded(v)).at("loss"), val1 = reference.evaluate(whole(v)).at("loss");
    expect(std::fabs(val - val1) <= 1e-5, fmt::format("evaluate gave {} where one process gives {}", val, val1));
  }

  // The cnn with dropout: every rank starts from its own seed (weights and dropout generator).
  {
    const Data d = labelled_data(96, {1, 6, 6}, 7);
    Model reference = cnn(3);
    reference.fit(whole(d), quiet(2));
    Model parallel = cnn(rank == 0 ? 3 : 200 + static_cast<uint64_t>(rank));
    dist::distribute(parallel);
    parallel.fit(sharded(d), quiet(2));
    const float diff = max_difference(parallel, reference);
    largest = std::max(largest, diff);
    expect(diff <= 1e-5f, fmt::format("cnn with dropout: weights differ from one process's by {}", diff));

    // Resuming on another number of ranks. N ranks -> 1: rank 0's checkpoint after one epoch,
    // continued alone by every rank for the second. 1 -> N: one process's epoch-one model (each
    // rank's own file), continued on the N ranks.
    const std::string path = fmt::format("distributed_check_{}/cnn_epoch1.nn", n);
    Model first = cnn(rank == 0 ? 3 : 300 + static_cast<uint64_t>(rank));
    dist::distribute(first);
    first.fit(sharded(d), quiet(1).callbacks({std::make_shared<ModelCheckpoint>(path)}));
    Model alone = load_model(path);  // fit's last barrier: rank 0 has written it
    alone.fit(whole(d), quiet(2).initial_epoch(1));
    const float resumed = max_difference(alone, reference);
    expect(resumed <= 1e-5f, fmt::format("{} ranks -> 1: weights differ from one process's by {}", n, resumed));
    const std::string own = fmt::format("distributed_check_{}/cnn_epoch1_rank{}.nn", n, rank);
    Model single = cnn(3);  // one process's first epoch, saved by this rank alone
    single.fit(whole(d), quiet(1));
    single.save(own);
    Model again = load_model(own);
    dist::distribute(again);
    again.fit(sharded(d), quiet(2).initial_epoch(1));
    const float spread = max_difference(again, reference);
    expect(spread <= 1e-5f, fmt::format("1 -> {} ranks: weights differ from one process's by {}", n, spread));
    largest = std::max({largest, resumed, spread});
  }

  // Shards of unequal length (97 rows): every rank ends each epoch at the shortest shard's end, so
  // no rank waits for a step the others never take; the logs agree everywhere.
  {
    const Data d = labelled_data(97, {20}, 9);
    Model m = mlp(1);
    dist::distribute(m);
    const History h = m.fit(data::Dataset::from_tensor_slices(d.x, d.y).shard(n, rank).batch(5), quiet(2));
    const std::vector<float> mine{static_cast<float>(h.history.at("loss").back())};
    Tensor t = Tensor::from_vector({1}, mine);
    dist::all_reduce({t}, 1.0f / static_cast<float>(n));
    expect(std::fabs(t.to_vector()[0] - mine[0]) <= 1e-6f, "unequal shards: the ranks' logs differ");
  }

  std::printf("rank %d of %d: %s (largest weight difference from one process: %.3g)\n", rank, n,
              failures.empty() ? "ok" : fmt::format("FAILED: {}", fmt::join(failures, "; ")).c_str(), largest);
  std::fflush(stdout);
  Tensor failed = Tensor::full({1}, failures.empty() ? 0.0f : 1.0f);
  dist::all_reduce({failed});
  return failed.to_vector()[0] == 0.0f ? 0 : 1;
}
