// Training throughput (images/s) of the mnist models on synthetic data: forward, backward and
// an Adam step per batch, the data already in memory. benchmarks/pytorch_training.py measures
// the same models in PyTorch; scripts/bench.sh runs both side by side.
//   Usage: bench_training [model=all|softmax|mlp|cnn] [batch=64] [seconds=10]
#include <chrono>
#include <string>

#include <fmt/format.h>
#include <nn/nn.hpp>

#include "../examples/mnist/models.hpp"

namespace {
double images_per_second(const std::string& kind, int64_t batch, double seconds) {
  nn::manual_seed(1);
  nn::Sequential model = mnist::make_model(kind);
  model.compile(std::make_shared<nn::Adam>(1e-4f), "sparse_categorical_crossentropy", {});
  nn::Generator g(2);
  nn::Tensor x({batch, 1, 28, 28}), y({batch});
  for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = g.uniform();
  for (int64_t i = 0; i < batch; ++i) y.data()[i] = static_cast<float>(g.below(10));
  for (int i = 0; i < 3; ++i) model.train_on_batch(x, y);  // warm-up: caches, allocator
  int64_t steps = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    model.train_on_batch(x, y);
    ++steps;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < seconds);
  return static_cast<double>(steps * batch) / elapsed;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "all";
  const int64_t batch = argc > 2 ? std::stoll(argv[2]) : 64;
  const double seconds = argc > 3 ? std::stod(argv[3]) : 10.0;
  fmt::print("backend: {}\n", nn::backend_for(nn::Device::cpu()).name());
  for (const std::string kind : {"softmax", "mlp", "cnn"}) {
    if (which != "all" && which != kind) continue;
    fmt::print("nn {} batch {}: {:.0f} images/s\n", kind, batch, images_per_second(kind, batch, seconds));
  }
  return 0;
}
