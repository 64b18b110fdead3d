// Data-parallel training's correctness, run by ctest under mpirun with 2 and 3 ranks (over shared
// memory and over TCP): every rank checks
//   - the collectives: all_reduce sums and scales, broadcast copies rank 0's values;
//   - distribute + fit: N ranks, each fitting its shard (Dataset::shard) in batches of B / N,
//     end with the weights one process gets fitting all the data in batches of B (Adam, two
//     epochs), to float tolerance, starting from different initialisations on each rank.
// Each rank prints its result; the exit status is 0 only if every rank passed (reduced over ranks).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "nn/distributed.hpp"
#include "nn/nn.hpp"

namespace dist = nn::distributed;
using namespace nn;

namespace {

Model small_model(uint64_t seed) {
  manual_seed(seed);
  Sequential m;
  m.add(Input({20}, "x"));
  m.add<Dense>(16, "relu");
  m.add<Dense>(5, "softmax");
  m.compile(std::make_shared<Adam>(0.01f), "sparse_categorical_crossentropy", {"accuracy"});
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

}  // namespace

int main() {
  dist::init();
  const int rank = dist::rank(), n = dist::size();
  std::vector<std::string> failures;

  // The collectives.
  Tensor a = Tensor::from_vector({2}, std::vector<float>{static_cast<float>(rank), 1.0f});
  Tensor b = Tensor::full({3}, static_cast<float>(rank + 1));
  dist::all_reduce({a, b}, 0.5f);
  const float ranks_sum = static_cast<float>(n * (n - 1) / 2);
  if (a.to_vector() != std::vector<float>{0.5f * ranks_sum, 0.5f * static_cast<float>(n)})
    failures.push_back(fmt::format("all_reduce gave [{}]", fmt::join(a.to_vector(), ", ")));
  if (b.to_vector() != std::vector<float>(3, 0.5f * static_cast<float>(n * (n + 1) / 2)))
    failures.push_back(fmt::format("all_reduce gave [{}] for the second tensor", fmt::join(b.to_vector(), ", ")));
  Tensor c = Tensor::full({4}, static_cast<float>(10 + rank));
  dist::broadcast({c}, 0);
  if (c.to_vector() != std::vector<float>(4, 10.0f)) failures.push_back("broadcast did not copy rank 0's values");

  // One process, all the data, batches of 12.
  Generator g(5);
  std::vector<float> xs(96 * 20);
  std::vector<int64_t> ys(96);
  for (auto& v : xs) v = g.uniform(-1.0f, 1.0f);
  for (auto& v : ys) v = static_cast<int64_t>(g.below(5));
  const Tensor x = Tensor::from_vector({96, 20}, xs), y = Tensor::from_vector({96}, ys);
  const int64_t global_batch = 12;
  Model reference = small_model(1);
  FitOptions once;
  once.epochs(2).verbose(0);
  reference.fit(data::Dataset::from_tensor_slices(x, y).batch(global_batch), once);

  // N ranks: rank 0 starts from the reference's initial weights, the others from their own, which
  // distribute() replaces; each fits its shard in batches of 12 / N.
  Model parallel = small_model(rank == 0 ? 1 : 100 + static_cast<uint64_t>(rank));
  dist::distribute(parallel);
  parallel.fit(data::Dataset::from_tensor_slices(x, y).shard(n, rank).batch(global_batch / n), once);
  const float diff = max_difference(parallel, reference);
  if (!(diff <= 1e-5f)) failures.push_back(fmt::format("weights differ from one process's by {}", diff));

  std::printf("rank %d of %d: %s (largest weight difference from one process: %.3g)\n", rank, n,
              failures.empty() ? "ok" : fmt::format("FAILED: {}", fmt::join(failures, "; ")).c_str(), diff);
  std::fflush(stdout);
  Tensor failed = Tensor::full({1}, failures.empty() ? 0.0f : 1.0f);
  dist::all_reduce({failed});
  return failed.to_vector()[0] == 0.0f ? 0 : 1;
}
