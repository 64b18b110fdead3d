// Batch normalization over x(outer, channels, inner): per-channel statistics, the affine output,
// and the fused backward pass. Tasks take disjoint ranges of channels and walk the tensor in
// memory order (outer, then their channels, then inner), so a dense layer's (N, units) input and
// a convolution's (N, C, H, W) one are both read row by row. Each row is one vectorised pass;
// row sums are added in double.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_backend.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {

// Calls fn(first, last) for disjoint channel ranges, each task reading at least ~16K elements.
template <class Fn>
void per_channels(int64_t outer, int64_t channels, int64_t inner, Fn&& fn) {
  const int64_t per_channel = std::max<int64_t>(1, outer * inner);
  parallel_for(channels, std::max<int64_t>(1, 16384 / per_channel), fn);
}

// acc[c - first] (thread-local, reused between calls) zeroed for channels [first, last).
std::vector<double>& scratch(int slot, int64_t count) {
  thread_local std::vector<double> buffers[2];
  buffers[slot].assign(static_cast<size_t>(count), 0.0);
  return buffers[slot];
}

// The row kernels, one vectorised pass each.
// s += sum(x - shift), q += sum((x - shift)^2)
NN_MULTIVERSION void row_moments(const float* x, int64_t n, float shift, double& s, double& q) {
  float a = 0.0f, b = 0.0f;
  NN_SIMD_REDUCTION(+ : a, b)
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] - shift;
    a += d;
    b += d * d;
  }
  s += a;
  q += b;
}

// y = x a + b
NN_MULTIVERSION void row_affine(const float* x, float* y, int64_t n, float a, float b) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

// s += sum(dy), t += sum(dy (x - m))
NN_MULTIVERSION void row_grad_sums(const float* x, const float* dy, int64_t n, float m, double& s, double& t) {
  float a = 0.0f, b = 0.0f;
  NN_SIMD_REDUCTION(+ : a, b)
  for (int64_t i = 0; i < n; ++i) {
    a += dy[i];
    b += dy[i] * (x[i] - m);
  }
  s += a;
  t += b;
}

// dx = k (dy - mean_dy - (x - m) slope)
NN_MULTIVERSION void row_dx(const float* x, const float* dy, float* dx, int64_t n, float k, float mean_dy, float m,
                            float slope) {
  for (int64_t i = 0; i < n; ++i) dx[i] = k * (dy[i] - mean_dy - (x[i] - m) * slope);
}

// y = gamma (x - mean) inv_std + beta for channels [first, last).
void normalize_channels(const float* x, const float* gamma, const float* beta, const float* mean,
                        const float* inv_std, float* y, int64_t outer, int64_t channels, int64_t inner,
                        int64_t first, int64_t last) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = first; c < last; ++c) {
      const float a = (gamma ? gamma[c] : 1.0f) * inv_std[c];
      row_affine(x + (o * channels + c) * inner, y + (o * channels + c) * inner, inner, a,
                 (beta ? beta[c] : 0.0f) - mean[c] * a);
    }
}

}  // namespace

void CpuBackend::batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                    float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner,
                                    float epsilon) {
  const double count = static_cast<double>(outer * inner);
  per_channels(outer, channels, inner, [&](int64_t first, int64_t last) {
    // One pass for both moments, around a shift (the channel's first value) that keeps
    // E[(x - shift)^2] - E[x - shift]^2 free of cancellation when the mean is large.
    std::vector<double>& s = scratch(0, last - first);
    std::vector<double>& q = scratch(1, last - first);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = first; c < last; ++c)
        row_moments(x + (o * channels + c) * inner, inner, x[c * inner], s[static_cast<size_t>(c - first)],
                    q[static_cast<size_t>(c - first)]);
    for (int64_t c = first; c < last; ++c) {
      const double m = s[static_cast<size_t>(c - first)] / count;
      const double v = std::max(0.0, q[static_cast<size_t>(c - first)] / count - m * m);
      mean[c] = static_cast<float>(static_cast<double>(x[c * inner]) + m);
      var[c] = static_cast<float>(v);
      inv_std[c] = static_cast<float>(1.0 / std::sqrt(v + static_cast<double>(epsilon)));
    }
    normalize_channels(x, gamma, beta, mean, inv_std, y, outer, channels, inner, first, last);
  });
}

void CpuBackend::batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                                      const float* var, float* y, float* inv_std, int64_t outer, int64_t channels,
                                      int64_t inner, float epsilon) {
  per_channels(outer, channels, inner, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c)
      inv_std[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + static_cast<double>(epsilon)));
    normalize_channels(x, gamma, beta, mean, inv_std, y, outer, channels, inner, first, last);
  });
}

void CpuBackend::batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* inv_std,
                                     const float* dy, float* dx, float* dgamma, float* dbeta, int64_t outer,
                                     int64_t channels, int64_t inner, bool batch_stats) {
  const double count = static_cast<double>(outer * inner);
  per_channels(outer, channels, inner, [&](int64_t first, int64_t last) {
    std::vector<double>& sum_dy = scratch(0, last - first);
    std::vector<double>& sum_dy_xm = scratch(1, last - first);  // sum(dy (x - mean))
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = first; c < last; ++c) {
        const int64_t at = (o * channels + c) * inner;
        row_grad_sums(x + at, dy + at, inner, mean[c], sum_dy[static_cast<size_t>(c - first)],
                      sum_dy_xm[static_cast<size_t>(c - first)]);
      }
    for (int64_t c = first; c < last; ++c) {
      if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xm[static_cast<size_t>(c - first)] * inv_std[c]);
      if (dbeta) dbeta[c] = static_cast<float>(sum_dy[static_cast<size_t>(c - first)]);
    }
    if (!dx) return;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = first; c < last; ++c) {
        const int64_t at = (o * channels + c) * inner;
        const float k = (gamma ? gamma[c] : 1.0f) * inv_std[c];
        // With batch statistics: dx = k (dy - mean(dy) - xhat mean(dy xhat)), xhat = (x - m) inv_std;
        // with given ones the statistics are constants: dx = k dy.
        const auto mean_dy = batch_stats ? static_cast<float>(sum_dy[static_cast<size_t>(c - first)] / count) : 0.0f;
        const auto slope = batch_stats ? static_cast<float>(sum_dy_xm[static_cast<size_t>(c - first)] / count) *
                                             inv_std[c] * inv_std[c]
                                       : 0.0f;
        row_dx(x + at, dy + at, dx + at, inner, k, mean_dy, mean[c], slope);
      }
  });
}

}  // namespace nn::detail
