// sgemm throughput of nn's CPU backend (OpenBLAS kernels, split across nn's thread pool),
// on one thread and on all of them.  Usage: bench_gemm [size=2048] [repeats=5]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <nn/nn.hpp>

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 2048;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  nn::Generator g(1);
  nn::Tensor a({n, n}), b({n, n}), c({n, n});
  for (int64_t i = 0; i < n * n; ++i) a.data()[i] = g.uniform(-1, 1), b.data()[i] = g.uniform(-1, 1);
  nn::Backend& be = nn::backend_for(nn::Device::cpu());
  const int all = nn::num_threads();
  fmt::print("backend: {}\n", be.name());
  for (int threads : {1, all}) {
    nn::set_num_threads(threads);
    be.gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) be.gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("sgemm {}x{}x{} on {} thread{}: {:.1f} GFLOP/s\n", n, n, n, threads, threads > 1 ? "s" : "",
               2.0 * n * n * n * repeats / s / 1e9);
    if (threads == all) break;
  }
  return 0;
}
