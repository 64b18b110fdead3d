// CPU backend: memory, BLAS level 1, clip and dropout (the other kernel families have a file each).
#include "cpu_backend.hpp"
#include "conv_kernels.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nn/random.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {

int64_t rounded(int64_t count) { return std::max<int64_t>(16, (count + 15) / 16 * 16); }

// Uniform in [0, 1) from a counter: splitmix64 finaliser of (seed, index).
inline float uniform_at(uint64_t seed, uint64_t index) {
  return static_cast<float>(splitmix64_at(seed, index) >> 40) * (1.0f / 16777216.0f);
}

}  // namespace

CpuBackend::CpuBackend() : allocator_(HostAllocator::instance()) { init_blas(); }

std::string CpuBackend::name() const {
  return fmt::format("cpu ({} threads, OpenBLAS {}{})", thread_pool()->size(), blas_core_name(),
                     vendor_conv_kernels().name ? std::string(", ") + vendor_conv_kernels().name + " convolutions" : "");
}

std::shared_ptr<float> CpuBackend::allocate(int64_t count) {
  const int64_t n = rounded(count);
  float* p = allocator_.acquire(n);
  if (poison_memory()) std::fill(p, p + n, std::numeric_limits<float>::quiet_NaN());
  return std::shared_ptr<float>(p, [n](float* q) { HostAllocator::instance().release(q, n); });
}

void CpuBackend::release_cached() { allocator_.trim(); }

StreamPtr CpuBackend::new_stream() { return std::make_shared<SyncStream>(Device::cpu()); }

void CpuBackend::copy(const float* src, float* dst, int64_t n) {
  if (src == dst || n == 0) return;
  parallel_for(n, 1 << 18, [&](int64_t b, int64_t e) {
    std::memcpy(dst + b, src + b, static_cast<size_t>(e - b) * sizeof(float));
  });
}

void CpuBackend::copy_bytes(const void* src, void* dst, size_t n) {
  if (src == dst || n == 0) return;
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  parallel_for(static_cast<int64_t>(n), 1 << 20, [&](int64_t b, int64_t e) {
    std::memcpy(d + b, s + b, static_cast<size_t>(e - b));
  });
}

void CpuBackend::fill(float* y, float value, int64_t n) {
  parallel_for(n, 1 << 18, [&](int64_t b, int64_t e) { std::fill(y + b, y + e, value); });
}

// ---------------------------------------------------------------- BLAS-1

void CpuBackend::gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                      const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                      float* c, int64_t ldc) {
  sgemm_parallel(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void CpuBackend::axpy(int64_t n, float alpha, const float* x, float* y) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] += alpha * x[i];
  });
}

void CpuBackend::scale(int64_t n, float alpha, const float* x, float* y) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = alpha * x[i];
  });
}

// ---------------------------------------------------------------- elementwise

void CpuBackend::sum(const float* x, float* out, int64_t n) {
  // At most kChunks partial sums, on the stack (no allocation), each over at least 64 Ki floats.
  constexpr int64_t kChunks = 256;
  const int64_t chunk = std::max<int64_t>(int64_t{1} << 16, (n + kChunks - 1) / kChunks);
  const int64_t chunks = std::max<int64_t>(1, (n + chunk - 1) / chunk);
  std::array<double, kChunks> partial{};
  parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double s = 0.0;
      for (int64_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) s += x[i];
      partial[static_cast<size_t>(c)] = s;
    }
  });
  double s = 0.0;
  for (int64_t c = 0; c < chunks; ++c) s += partial[static_cast<size_t>(c)];
  out[0] = static_cast<float>(s);
}

void CpuBackend::clip(const float* x, float* y, int64_t n, float lo, float hi) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = std::min(std::max(x[i], lo), hi);
  });
}

void CpuBackend::clip_backward(const float* x, const float* dy, float* dx, int64_t n, float lo,
                               float hi) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      dx[i] = (x[i] > lo && x[i] < hi) ? dy[i] : 0.0f;
    }
  });
}

void CpuBackend::dropout(const float* x, float* y, float* mask, int64_t n, float rate,
                         uint64_t seed, uint64_t offset) {
  const float keep_scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float m = uniform_at(seed, offset + static_cast<uint64_t>(i)) >= rate ? keep_scale : 0.0f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
  });
}

}  // namespace nn::detail
