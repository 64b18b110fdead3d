// End-to-end throughput of one mnist model (examples/mnist/models.cpp), the way the mnist tool
// runs it: training images/s with Adam, fed by the real input pipeline from the MNIST files
// (from_tensor_slices -> shuffle -> map(x / 255) -> batch -> prefetch); inference images/s at
// batch 1 and at batch 1000; the process's peak resident memory. benchmarks/pytorch_training.py
// measures the same in PyTorch; scripts/bench.sh runs both side by side.
//
//   bench_training MODEL BATCH SECONDS DATA_DIR [TARGET_ACCURACY]
//
// With TARGET_ACCURACY (e.g. 0.99), also the wall time from the start of training a fresh model
// until its test accuracy, measured after each epoch (the evaluations count), first reaches it
// (at most 5 epochs; a run that never does fails).
//
// Prints one line per figure, `nn MODEL KEY VALUE`. Before timing, the model must learn: after
// the timed training its loss on the data seen must have fallen below its starting value
// (a broken kernel that trains nothing fails the run).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <nn/nn.hpp>

#include "../examples/mnist/models.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: bench_training MODEL BATCH SECONDS DATA_DIR [TARGET_ACCURACY]\n");
    return 2;
  }
  const std::string kind = argv[1];
  const int64_t batch = std::stoll(argv[2]);
  const double seconds = std::stod(argv[3]);
  const nn::data::Mnist mnist = nn::data::load_mnist(argv[4]);
  nn::manual_seed(1);
  nn::Sequential model = mnist::make_model(kind);
  model.compile(std::make_shared<nn::Adam>(1e-3f), "sparse_categorical_crossentropy", {});

  auto scale = [](nn::data::Example e) { return nn::data::Example{e.x / 255.0f, e.y}; };
  auto train = nn::data::Dataset::from_tensor_slices(mnist.train_images.reshape({-1, 1, 28, 28}), mnist.train_labels)
                   .shuffle(60000, 42)
                   .map(scale)
                   .batch(batch, /*drop_remainder=*/true)
                   .prefetch(2)
                   .repeat();
  auto it = train.iterator();
  auto step = [&] {
    auto b = it->next();
    return model.train_on_batch(b->x, b->y).at("loss");
  };
  // Warm-up (caches, allocator), and the loss the model starts from.
  double first = 0;
  for (int i = 0; i < 5; ++i) first += step() / 5;
  int64_t steps = 0;
  double last = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  do {
    const double loss = step();
    last = steps < 20 ? loss : 0.9 * last + 0.1 * loss;  // a smoothed recent loss
    ++steps;
    elapsed = since(t0);
  } while (elapsed < seconds || steps < 25);
  if (!(last < first)) {
    std::fprintf(stderr, "bench_training: %s did not learn (loss %.4f -> %.4f)\n", kind.c_str(), first, last);
    return 1;
  }
  fmt::print("nn {} train_images_per_s {:.1f}\n", kind, static_cast<double>(steps * batch) / elapsed);
  fmt::print("nn {} train_loss_start {:.4f}\n", kind, first);
  fmt::print("nn {} train_loss_end {:.4f}\n", kind, last);

  // Inference, on test images: batch 1 (one image at a time) and batch 1000. The two take
  // different kernel paths (one image's convolution split across the threads, or the images
  // shared out), so they are checked against each other before either is timed.
  const nn::Tensor test = mnist.test_images.reshape({-1, 1, 28, 28}) / 255.0f;
  {
    const auto together = model.predict(test.slice(0, 1000), 1000).to_vector();
    const auto classes = static_cast<size_t>(together.size() / 1000);
    for (int64_t i = 0; i < 1000; i += 20) {
      const auto alone = model.predict(test.slice(i, i + 1), 1).to_vector();
      for (size_t c = 0; c < classes; ++c)
        if (!(std::fabs(alone[c] - together[static_cast<size_t>(i) * classes + c]) <= 1e-4f)) {
          std::fprintf(stderr, "bench_training: %s predicts image %ld differently alone and in a batch\n",
                       kind.c_str(), static_cast<long>(i));
          return 1;
        }
    }
  }
  for (const int64_t n : {int64_t{1}, int64_t{1000}}) {
    int64_t images = 0;
    const auto t1 = Clock::now();
    double spent = 0;
    int64_t at = 0;
    do {
      if (at + n > test.shape()[0]) at = 0;
      nn::Tensor p = model.predict(test.slice(at, at + n), n);
      if (p.shape()[0] != n) return 1;
      at += n;
      images += n;
      spent = since(t1);
    } while (spent < seconds / 2);
    fmt::print("nn {} infer_b{}_images_per_s {:.1f}\n", kind, n, static_cast<double>(images) / spent);
  }
  // Peak memory of the measured training and inference (before the time-to-accuracy run trains
  // a second model, which PyTorch's side measures separately).
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print("nn {} peak_rss_mib {:.1f}\n", kind, static_cast<double>(usage.ru_maxrss) / 1024.0);
  if (argc == 6) {
    const double target = std::stod(argv[5]);
    nn::manual_seed(1);
    nn::Sequential fresh = mnist::make_model(kind);
    fresh.compile(std::make_shared<nn::Adam>(1e-3f), "sparse_categorical_crossentropy", {"accuracy"});
    auto epoch_data = nn::data::Dataset::from_tensor_slices(mnist.train_images.reshape({-1, 1, 28, 28}), mnist.train_labels)
                          .shuffle(60000, 7)
                          .map(scale)
                          .batch(batch)
                          .prefetch(2);
    auto test_data = nn::data::Dataset::from_tensor_slices(test, mnist.test_labels).batch(1000);
    const auto t2 = Clock::now();
    double reached = -1, accuracy = 0;
    for (int epoch = 1; epoch <= 5 && reached < 0; ++epoch) {
      fresh.fit(epoch_data, nn::FitOptions().epochs(1).verbose(0));
      accuracy = fresh.evaluate(test_data).at("accuracy");
      fmt::print("nn {} test_accuracy_after_epoch_{} {:.4f}\n", kind, epoch, accuracy);
      if (accuracy >= target) reached = since(t2);
    }
    if (reached < 0) {
      std::fprintf(stderr, "bench_training: %s did not reach %.4f in 5 epochs (%.4f)\n", kind.c_str(), target, accuracy);
      return 1;
    }
    fmt::print("nn {} seconds_to_{:.1f}% {:.1f}\n", kind, target * 100, reached);
  }
  return 0;
}
