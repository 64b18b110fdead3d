// nn's CUDA kernels for layers (see cuda_kernels.hpp): pooling (one thread per output cell forward,
// per input cell backward: a gather, no atomics), batch normalization (one block per channel, CUB's
// block reduction in double), dropout, accuracy counts and the optimizers' updates.
#include <cub/block/block_reduce.cuh>

#include <cstdint>

#include "cuda_check.hpp"
#include "cuda_kernels.hpp"
#include "cuda_launch.cuh"
#include "kernel_math.hpp"

namespace nn::detail::cuda {
namespace {

// ---- pooling: one thread per output cell forward, per input cell backward (a gather: no atomics) ----
struct Window {
  int64_t y0, y1, x0, x1;
};
__device__ Window window_of(const Pool2DParams& p, int64_t oy, int64_t ox) {
  const int64_t ty = oy * p.stride_h - p.pad_top, tx = ox * p.stride_w - p.pad_left;
  return {max(ty, int64_t{0}), min(p.h, ty + p.kh), max(tx, int64_t{0}), min(p.w, tx + p.kw)};
}
// The output rows (or columns) whose window covers input row i: [lo, hi].
__device__ void covering(int64_t i, int64_t pad, int64_t k, int64_t stride, int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t num = i + pad - k + 1;
  lo = num <= 0 ? 0 : (num + stride - 1) / stride;
  hi = min(out - 1, (i + pad) / stride);
}

// ---- batch normalization: one block per channel ----
__global__ void bn_forward_kernel(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                  float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner,
                                  float epsilon) {
  __shared__ typename BlockSum<kThreads>::TempStorage tmp;
  __shared__ float affine[2];
  const int64_t c = blockIdx.x, count = outer * inner;
  const float shift = x[c * inner];  // the channel's first value: no cancellation for a large mean
  double s = 0.0, q = 0.0;
  for (int64_t r = threadIdx.x; r < count; r += kThreads) {
    const float d = x[channel_at(r, c, channels, inner)] - shift;
    s += d;
    q += static_cast<double>(d) * d;
  }
  const double ss = BlockSum<kThreads>(tmp).Sum(s);
  __syncthreads();
  const double qq = BlockSum<kThreads>(tmp).Sum(q);
  if (threadIdx.x == 0) {
    const double n = static_cast<double>(count);
    const double m = ss / n, v = fmax(0.0, qq / n - m * m);
    const auto mf = static_cast<float>(static_cast<double>(shift) + m);
    const auto inv = static_cast<float>(1.0 / sqrt(v + static_cast<double>(epsilon)));
    mean[c] = mf;
    var[c] = static_cast<float>(v);
    inv_std[c] = inv;
    const float a = (gamma ? gamma[c] : 1.0f) * inv;
    affine[0] = a;
    affine[1] = (beta ? beta[c] : 0.0f) - mf * a;
  }
  __syncthreads();
  const float a = affine[0], b = affine[1];
  for (int64_t r = threadIdx.x; r < count; r += kThreads) {
    const int64_t at = channel_at(r, c, channels, inner);
    y[at] = x[at] * a + b;
  }
}

__global__ void bn_backward_kernel(const float* x, const float* gamma, const float* mean, const float* inv_std,
                                   const float* dy, float* dx, float* dgamma, float* dbeta, int64_t outer,
                                   int64_t channels, int64_t inner, bool batch_stats) {
  __shared__ typename BlockSum<kThreads>::TempStorage tmp;
  __shared__ double sums[2];
  const int64_t c = blockIdx.x, count = outer * inner;
  const float m = mean[c];
  double s = 0.0, t = 0.0;
  for (int64_t r = threadIdx.x; r < count; r += kThreads) {
    const int64_t at = channel_at(r, c, channels, inner);
    s += dy[at];
    t += static_cast<double>(dy[at]) * (x[at] - m);
  }
  const double ss = BlockSum<kThreads>(tmp).Sum(s);
  __syncthreads();
  const double tt = BlockSum<kThreads>(tmp).Sum(t);
  if (threadIdx.x == 0) {
    sums[0] = ss;
    sums[1] = tt;
    if (dgamma) dgamma[c] = static_cast<float>(tt * inv_std[c]);
    if (dbeta) dbeta[c] = static_cast<float>(ss);
  }
  __syncthreads();
  if (!dx) return;
  const double n = static_cast<double>(count);
  const float inv = inv_std[c];
  const float k = (gamma ? gamma[c] : 1.0f) * inv;
  const float mean_dy = batch_stats ? static_cast<float>(sums[0] / n) : 0.0f;
  const float slope = batch_stats ? static_cast<float>(sums[1] / n) * inv * inv : 0.0f;
  for (int64_t r = threadIdx.x; r < count; r += kThreads) {
    const int64_t at = channel_at(r, c, channels, inner);
    dx[at] = k * (dy[at] - mean_dy - (x[at] - m) * slope);
  }
}

// ---- accuracy counts: one block adds the batch's correct rows to the running total ----
__global__ void count_correct_kernel(const float* scores, const float* targets, const int64_t* labels,
                                     int64_t* total, int64_t rows, int64_t cols, int64_t k) {
  using Count = cub::BlockReduce<long long, kThreads>;
  __shared__ typename Count::TempStorage tmp;
  long long correct = 0;
  for (int64_t r = threadIdx.x; r < rows; r += kThreads) {
    const float* sr = scores + r * cols;
    int64_t truth = 0;
    if (labels) {
      truth = labels[r];
      if (truth < 0 || truth >= cols) continue;  // out of range (check_class_labels reports it)
    } else {
      const float* tr = targets + r * cols;
      for (int64_t j = 1; j < cols; ++j)
        if (tr[j] > tr[truth]) truth = j;
    }
    if (k == 1) {
      int64_t best = 0;
      for (int64_t j = 1; j < cols; ++j)
        if (sr[j] > sr[best]) best = j;
      correct += best == truth;
    } else {
      const float v = sr[truth];
      int64_t rank = 0;
      for (int64_t j = 0; j < cols; ++j) rank += sr[j] > v || (sr[j] == v && j < truth);
      correct += rank < k;
    }
  }
  const long long sum = Count(tmp).Sum(correct);
  if (threadIdx.x == 0) total[0] += sum;
}

}  // namespace

// ---------------------------------------------------------------- pooling

void max_pool2d_forward(cudaStream_t s, const Pool2DParams& p, const float* x, float* y, int32_t* argmax) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  each(s, p.n * p.c * oh * ow, "max_pool2d_forward", [=] __device__(int64_t i) {
    const int64_t plane = i / (oh * ow), o = i % (oh * ow);
    const Window win = window_of(p, o / ow, o % ow);
    const float* xp = x + plane * p.h * p.w;
    int64_t at = win.y0 * p.w + win.x0;
    float best = xp[at];
    for (int64_t yy = win.y0; yy < win.y1; ++yy)
      for (int64_t xx = win.x0; xx < win.x1; ++xx) {
        const float v = xp[yy * p.w + xx];
        if (v > best || (v != v && best == best)) {
          best = v;
          at = yy * p.w + xx;
        }
      }
    y[i] = best;
    argmax[i] = static_cast<int32_t>(at);
  });
}

void max_pool2d_backward(cudaStream_t s, const Pool2DParams& p, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  each(s, p.n * p.c * p.h * p.w, "max_pool2d_backward", [=] __device__(int64_t i) {
    const int64_t plane = i / (p.h * p.w), cell = i % (p.h * p.w), iy = cell / p.w, ix = cell % p.w;
    int64_t oy0, oy1, ox0, ox1;
    covering(iy, p.pad_top, p.kh, p.stride_h, oh, oy0, oy1);
    covering(ix, p.pad_left, p.kw, p.stride_w, ow, ox0, ox1);
    float g = 0.0f;
    for (int64_t oy = oy0; oy <= oy1; ++oy)
      for (int64_t ox = ox0; ox <= ox1; ++ox) {
        const int64_t o = plane * oh * ow + oy * ow + ox;
        if (argmax[o] == cell) g += dy[o];
      }
    dx[i] = g;
  });
}

void avg_pool2d_forward(cudaStream_t s, const Pool2DParams& p, const float* x, float* y) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  each(s, p.n * p.c * oh * ow, "avg_pool2d_forward", [=] __device__(int64_t i) {
    const int64_t plane = i / (oh * ow), o = i % (oh * ow);
    const Window win = window_of(p, o / ow, o % ow);
    const float* xp = x + plane * p.h * p.w;
    float acc = 0.0f;
    for (int64_t yy = win.y0; yy < win.y1; ++yy)
      for (int64_t xx = win.x0; xx < win.x1; ++xx) acc += xp[yy * p.w + xx];
    y[i] = acc * (1.0f / static_cast<float>((win.y1 - win.y0) * (win.x1 - win.x0)));
  });
}

void avg_pool2d_backward(cudaStream_t s, const Pool2DParams& p, const float* dy, float* dx) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  each(s, p.n * p.c * p.h * p.w, "avg_pool2d_backward", [=] __device__(int64_t i) {
    const int64_t plane = i / (p.h * p.w), cell = i % (p.h * p.w), iy = cell / p.w, ix = cell % p.w;
    int64_t oy0, oy1, ox0, ox1;
    covering(iy, p.pad_top, p.kh, p.stride_h, oh, oy0, oy1);
    covering(ix, p.pad_left, p.kw, p.stride_w, ow, ox0, ox1);
    float g = 0.0f;
    for (int64_t oy = oy0; oy <= oy1; ++oy)
      for (int64_t ox = ox0; ox <= ox1; ++ox) {
        const Window win = window_of(p, oy, ox);
        g += dy[plane * oh * ow + oy * ow + ox] * (1.0f / static_cast<float>((win.y1 - win.y0) * (win.x1 - win.x0)));
      }
    dx[i] = g;
  });
}

// ---------------------------------------------------------------- batch normalization

void batch_norm_forward(cudaStream_t s, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner,
                        float epsilon) {
  if (channels <= 0 || outer * inner <= 0) return;
  bn_forward_kernel<<<static_cast<unsigned>(channels), kThreads, 0, s>>>(x, gamma, beta, y, mean, var, inv_std,
                                                                         outer, channels, inner, epsilon);
  check_launch("batch_norm_forward");
}

void batch_norm_inference(cudaStream_t s, const float* x, const float* gamma, const float* beta, const float* mean,
                          const float* var, float* y, float* inv_std, int64_t outer, int64_t channels,
                          int64_t inner, float epsilon) {
  each(s, channels, "batch_norm_inference", [=] __device__(int64_t c) {
    inv_std[c] = static_cast<float>(1.0 / sqrt(static_cast<double>(var[c]) + static_cast<double>(epsilon)));
  });
  each(s, outer * channels * inner, "batch_norm_inference", [=] __device__(int64_t i) {
    const int64_t c = (i / inner) % channels;
    const auto inv = static_cast<float>(1.0 / sqrt(static_cast<double>(var[c]) + static_cast<double>(epsilon)));
    const float a = (gamma ? gamma[c] : 1.0f) * inv;
    y[i] = x[i] * a + ((beta ? beta[c] : 0.0f) - mean[c] * a);
  });
}

void batch_norm_backward(cudaStream_t s, const float* x, const float* gamma, const float* mean,
                         const float* inv_std, const float* dy, float* dx, float* dgamma, float* dbeta,
                         int64_t outer, int64_t channels, int64_t inner, bool batch_stats) {
  if (channels <= 0) return;
  bn_backward_kernel<<<static_cast<unsigned>(channels), kThreads, 0, s>>>(
      x, gamma, mean, inv_std, dy, dx, dgamma, dbeta, outer, channels, inner, batch_stats);
  check_launch("batch_norm_backward");
}

// ---------------------------------------------------------------- randomness, metrics, optimizers

void dropout(cudaStream_t s, const float* x, float* y, float* mask, int64_t n, float rate, uint64_t seed,
             uint64_t offset) {
  each(s, n, "dropout", [=] __device__(int64_t i) {
    const float m = kmath::dropout_mask(seed, offset + static_cast<uint64_t>(i), rate);
    mask[i] = m;
    y[i] = x[i] * m;
  });
}

void count_correct(cudaStream_t s, const float* scores, const float* targets, const int64_t* labels,
                   int64_t* total, int64_t rows, int64_t cols, int64_t k) {
  count_correct_kernel<<<1, kThreads, 0, s>>>(scores, targets, labels, total, rows, cols, k);
  check_launch("count_correct");
}

void sgd_update(cudaStream_t s, const SgdParams& p, float* w, const float* g, float* velocity, int64_t n) {
  each(s, n, "sgd_update",
       [=] __device__(int64_t i) { kmath::sgd(p, w[i], g[i], velocity ? velocity + i : nullptr); });
}

void adam_update(cudaStream_t s, const AdamParams& p, float* w, const float* g, float* m, float* v, int64_t n) {
  const kmath::AdamStep step = kmath::adam_step(p);
  each(s, n, "adam_update", [=] __device__(int64_t i) { kmath::adam(step, w[i], g[i], m[i], v[i]); });
}

void rmsprop_update(cudaStream_t s, const RmspropParams& p, float* w, const float* g, float* v, float* avg_g,
                    float* mom, int64_t n) {
  each(s, n, "rmsprop_update", [=] __device__(int64_t i) {
    kmath::rmsprop(p, w[i], g[i], v[i], avg_g ? avg_g + i : nullptr, mom ? mom + i : nullptr);
  });
}

void adagrad_update(cudaStream_t s, const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) {
  each(s, n, "adagrad_update", [=] __device__(int64_t i) { kmath::adagrad(p, w[i], g[i], acc[i]); });
}

}  // namespace nn::detail::cuda
