// Input-pipeline throughput on MNIST-sized synthetic data (60000 images of 28x28 floats):
//   from_tensor_slices(x, y).shuffle(60000, seed).map(x / 255, 2 threads).batch(50).prefetch(2)
// and the same pipeline without the map. One untimed pass warms up (page faults, allocator
// caches), then each timed pass is checked as it runs: every image arrives exactly once, and
// batches pair images with their labels and scale pixels.
//
//   bench_pipeline [epochs=5 (>= 3)] [map_threads=2]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "nn/backend/backend.hpp"
#include "nn/data/dataset.hpp"

using nn::Tensor;
using nn::data::Dataset;
using nn::data::Example;

namespace {

constexpr int64_t kImages = 60000, kSide = 28, kPixels = kSide * kSide;

// Image i has pixels (i + j) % 256 (j: pixel index) and "label" i, so a batch row can be
// traced back to its image. x: (60000, 28, 28), y: (60000)
Example synthetic_mnist() {
  Tensor x({kImages, kSide, kSide});
  Tensor y({kImages});
  for (int64_t i = 0; i < kImages; ++i) {
    float* row = x.data() + i * kPixels;
    for (int64_t j = 0; j < kPixels; ++j) row[j] = static_cast<float>((i + j) % 256);
    y.data()[i] = static_cast<float>(i);
  }
  return {x, y};
}

// x: (28, 28) in [0, 255] -> [0, 1]. A new tensor, since e.x is a view of the source data. The
// backend's kernel is vectorised, where a plain loop here would not be at -O2 (it could alias).
Example normalize(Example e) {
  Tensor x(e.x.shape());
  nn::backend_for(x.device()).scale(x.numel(), 1.0f / 255.0f, e.x.data(), x.data());
  return {std::move(x), std::move(e.y)};
}

// Runs one untimed pass, then `epochs` timed ones; returns images/s over the timed passes, or
// -1 when a pass delivers wrong data. scale: what the pipeline multiplies pixels by.
double run(const Dataset& ds, int epochs, float scale) {
  auto start = std::chrono::steady_clock::now();
  int64_t images = 0;
  std::vector<char> seen;
  for (int epoch = -1; epoch < epochs; ++epoch) {
    if (epoch == 0) {
      start = std::chrono::steady_clock::now();
      images = 0;
    }
    seen.assign(kImages, 0);
    for (const Example& b : ds) {  // x: (n, 28, 28), y: (n), n = 50
      const int64_t n = b.x.dim(0);
      if (b.x.shape() != nn::Shape{n, kSide, kSide} || b.y.shape() != nn::Shape{n}) return -1;
      for (int64_t k = 0; k < n; ++k) {
        const auto id = static_cast<int64_t>(b.y.data()[k]);
        if (id < 0 || id >= kImages || seen[static_cast<size_t>(id)]++) return -1;
      }
      // The first row of each batch is its label's image, scaled (not every row: the check
      // would compete with the pipeline for the same cores).
      const auto id = static_cast<int64_t>(b.y.data()[0]);
      const float* row = b.x.data();
      if (std::abs(row[0] - scale * static_cast<float>(id % 256)) > 1e-5f ||
          std::abs(row[kPixels - 1] - scale * static_cast<float>((id + kPixels - 1) % 256)) > 1e-5f)
        return -1;
      images += n;
    }
    for (char s : seen)
      if (!s) return -1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(images) / s;
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (epochs < 3 || threads < 1) {
    std::fprintf(stderr, "usage: bench_pipeline [epochs >= 3] [map_threads >= 1]\n");
    return 2;
  }
  const Example data = synthetic_mnist();
  const Dataset source = Dataset::from_tensor_slices(data.x, data.y).shuffle(kImages, 42);
  const Dataset with_map = source.map(normalize, threads).batch(50).prefetch(2);
  const Dataset without_map = source.batch(50).prefetch(2);

  const double a = run(with_map, epochs, 1.0f / 255.0f);
  const double b = run(without_map, epochs, 1.0f);
  if (a < 0 || b < 0) {
    std::fprintf(stderr, "bench_pipeline: a pass delivered wrong data\n");
    return 1;
  }
  std::printf(
      "pipeline: %.0f images/s (shuffle 60000, map /255 on %d threads, batch 50, prefetch 2; %d epochs)\n", a,
      threads, epochs);
  std::printf("pipeline without map: %.0f images/s (shuffle 60000, batch 50, prefetch 2)\n", b);
  return 0;
}
