// Input-pipeline throughput on MNIST-sized synthetic data (60000 images of 28x28 floats):
//   from_tensor_slices(x, y).shuffle(60000, seed).map(x / 255, 2 threads).batch(50).prefetch(2)
// and the same pipeline without the map. Each pass is checked before it is timed into the
// result: every label seen once (shuffle is a permutation), pixel values normalised.
//
//   bench_pipeline [epochs=5] [map_threads=2]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "nn/backend/backend.hpp"
#include "nn/data/dataset.hpp"

using nn::Tensor;
using nn::data::Dataset;
using nn::data::Example;

namespace {

constexpr int64_t kImages = 60000, kSide = 28, kClasses = 10;

// Pixels in [0, 255], labels i % 10 (so a pass's label sum is known).
Example synthetic_mnist() {
  Tensor x({kImages, kSide, kSide});
  Tensor y({kImages});
  float* px = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) px[i] = static_cast<float>((i * 2654435761u) % 256);
  for (int64_t i = 0; i < kImages; ++i) y.data()[i] = static_cast<float>(i % kClasses);
  return {x, y};
}

// x: (28, 28) in [0, 255] -> [0, 1]. A new tensor: e.x is a view of the source data. The
// backend's kernel is vectorised, where a plain loop here would not be at -O2 (it could alias).
Example normalize(Example e) {
  Tensor x(e.x.shape());
  nn::backend_for(x.device()).scale(x.numel(), 1.0f / 255.0f, e.x.data(), x.data());
  return {std::move(x), std::move(e.y)};
}

// Runs `epochs` passes; returns images/s over all of them, or -1 when a check fails.
double run(const Dataset& ds, int epochs, float max_pixel) {
  const auto start = std::chrono::steady_clock::now();
  int64_t images = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    int64_t count = 0;
    double label_sum = 0;
    for (const Example& b : ds) {  // x: (50, 28, 28), y: (50)
      const int64_t n = b.x.dim(0);
      if (b.x.shape() != nn::Shape{n, kSide, kSide} || b.y.shape() != nn::Shape{n}) return -1;
      if (b.x.data()[n * kSide * kSide - 1] > max_pixel) return -1;
      for (int64_t i = 0; i < n; ++i) label_sum += b.y.data()[i];
      count += n;
    }
    if (count != kImages || label_sum != 4.5 * kImages) {
      std::fprintf(stderr, "epoch %d: %lld images, label sum %.0f\n", epoch,
                   static_cast<long long>(count), label_sum);
      return -1;
    }
    images += count;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(images) / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (epochs < 3) {
    std::fprintf(stderr, "usage: bench_pipeline [epochs >= 3] [map_threads]\n");
    return 2;
  }
  const Example data = synthetic_mnist();
  const Dataset source = Dataset::from_tensor_slices(data.x, data.y).shuffle(kImages, 42);
  const Dataset with_map = source.map(normalize, threads).batch(50).prefetch(2);
  const Dataset without_map = source.batch(50).prefetch(2);

  const double a = run(with_map, epochs, 1.0f);
  const double b = run(without_map, epochs, 255.0f);
  if (a < 0 || b < 0) {
    std::fprintf(stderr, "bench_pipeline: a pass delivered wrong data\n");
    return 1;
  }
  std::printf("pipeline: %.0f images/s (shuffle 60000, map /255 on %d threads, batch 50, prefetch 2; %d epochs)\n",
              a, threads, epochs);
  std::printf("pipeline without map: %.0f images/s\n", b);
  return 0;
}
