// Convolution as im2col + GEMM (pooling is in cpu_pool.cpp).
//
// With at least as many images as threads, the images are shared out among the threads and each
// image is one single-threaded GEMM on its own columns, cols(K = c*kh*kw, P = oh*ow), written
// straight into the NCHW output: the columns stay in cache and nothing is transposed. With fewer
// images (inference on one image), one large GEMM per chunk of images is split across the pool
// instead: columns cols(K, nb*P), column index = image*P + pixel, chunks bounded to kColsBudget
// floats. Buffers come from the caching allocator, so steady-state training allocates nothing.
#include <algorithm>
#include <cstring>

#include "cpu_backend.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {
constexpr int64_t kColsBudget = int64_t{8} << 20;  // floats (32 MiB)

struct ConvGeometry {
  int64_t K, P, oh, ow, chunk;
  explicit ConvGeometry(const Conv2DParams& p)
      : K(p.c * p.kh * p.kw), P(p.out_h() * p.out_w()), oh(p.out_h()), ow(p.out_w()) {
    const int64_t per_image = std::max<int64_t>(1, P);
    chunk = K > kColsBudget / per_image ? 1 : std::clamp<int64_t>(kColsBudget / std::max<int64_t>(1, K * per_image), 1, std::max<int64_t>(1, p.n));
  }
};

// The output columns [begin, end) whose input column ox*stride - pad + kj lies inside [0, w).
inline std::pair<int64_t, int64_t> valid_columns(int64_t kj, int64_t pad, int64_t stride, int64_t w, int64_t ow) {
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const int64_t begin = std::clamp<int64_t>(ceil_div(pad - kj, stride), 0, ow);
  const int64_t end = std::clamp<int64_t>(ceil_div(w + pad - kj, stride), begin, ow);
  return {begin, end};
}

// One row of the columns, for kernel offset (ki, kj): out(oh, ow) = plane(h, w) at
// (oy*sh - top + ki, ox*sw - left + kj), 0 outside. Output rows [y0, y1) and columns [x0, x1) read
// inside the plane (computed once per offset); the rest is padding. Rows are short (7-28 floats
// for MNIST), so plain loops, with every bound in a register.
NN_MULTIVERSION void im2col_row(const float* __restrict plane, float* __restrict out, int64_t w, int64_t oh,
                                int64_t ow, int64_t sh, int64_t sw, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                                int64_t first_iy, int64_t first_ix) {
  for (int64_t i = 0; i < y0 * ow; ++i) out[i] = 0.0f;
  for (int64_t oy = y0; oy < y1; ++oy) {
    float* o = out + oy * ow;
    const float* in = plane + (first_iy + oy * sh) * w + first_ix;
    for (int64_t ox = 0; ox < x0; ++ox) o[ox] = 0.0f;
    if (sw == 1) {
      for (int64_t ox = x0; ox < x1; ++ox) o[ox] = in[ox];
    } else {
      for (int64_t ox = x0; ox < x1; ++ox) o[ox] = in[ox * sw];
    }
    for (int64_t ox = x1; ox < ow; ++ox) o[ox] = 0.0f;
  }
  for (int64_t i = y1 * ow; i < oh * ow; ++i) out[i] = 0.0f;
}

// cols(K, nb*P) <- x(nb, c, h, w).
void im2col(const Conv2DParams& p, const ConvGeometry& g, const float* x, int64_t nb, float* cols) {
  const int64_t ld = nb * g.P;
  parallel_for(nb * p.c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ic = b; ic < e; ++ic) {
      const int64_t img = ic / p.c, ch = ic % p.c;
      const float* plane = x + ic * p.h * p.w;
      for (int64_t ki = 0; ki < p.kh; ++ki) {
        const auto [y0, y1] = valid_columns(ki, p.pad_top, p.stride_h, p.h, g.oh);
        for (int64_t kj = 0; kj < p.kw; ++kj) {
          float* row = cols + ((ch * p.kh + ki) * p.kw + kj) * ld + img * g.P;
          const auto [x0, x1] = valid_columns(kj, p.pad_left, p.stride_w, p.w, g.ow);
          im2col_row(plane, row, p.w, g.oh, g.ow, p.stride_h, p.stride_w, y0, y1, x0, x1, ki - p.pad_top,
                     kj - p.pad_left);
        }
      }
    }
  });
}

// The adjoint of im2col_row: plane(h, w) += the row's values at the cells they were read from.
NN_MULTIVERSION void col2im_row(const float* __restrict in, float* __restrict plane, int64_t w, int64_t ow, int64_t sh,
                                int64_t sw, int64_t y0, int64_t y1, int64_t x0, int64_t x1, int64_t first_iy,
                                int64_t first_ix) {
  for (int64_t oy = y0; oy < y1; ++oy) {
    const float* r = in + oy * ow;
    float* out = plane + (first_iy + oy * sh) * w + first_ix;
    if (sw == 1) {
      for (int64_t ox = x0; ox < x1; ++ox) out[ox] += r[ox];
    } else {
      for (int64_t ox = x0; ox < x1; ++ox) out[ox * sw] += r[ox];
    }
  }
}

// dx(nb, c, h, w) = col2im(cols(K, nb*P)); each task owns whole (image, channel) planes.
void col2im(const Conv2DParams& p, const ConvGeometry& g, const float* cols, int64_t nb, float* dx) {
  const int64_t ld = nb * g.P;
  parallel_for(nb * p.c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ic = b; ic < e; ++ic) {
      const int64_t img = ic / p.c, ch = ic % p.c;
      float* plane = dx + ic * p.h * p.w;
      std::fill(plane, plane + p.h * p.w, 0.0f);
      for (int64_t ki = 0; ki < p.kh; ++ki) {
        const auto [y0, y1] = valid_columns(ki, p.pad_top, p.stride_h, p.h, g.oh);
        for (int64_t kj = 0; kj < p.kw; ++kj) {
          const float* row = cols + ((ch * p.kh + ki) * p.kw + kj) * ld + img * g.P;
          const auto [x0, x1] = valid_columns(kj, p.pad_left, p.stride_w, p.w, g.ow);
          col2im_row(row, plane, p.w, g.ow, p.stride_h, p.stride_w, y0, y1, x0, x1, ki - p.pad_top, kj - p.pad_left);
        }
      }
    }
  });
}

// dst(nb, k, P) <-> src(k, nb*P)
void images_from_channels(const float* src, float* dst, int64_t nb, int64_t k, int64_t P) {
  parallel_for(nb * k, 8, [&](int64_t b, int64_t e) {
    for (int64_t ik = b; ik < e; ++ik) {
      const int64_t img = ik / k, ch = ik % k;
      std::memcpy(dst + ik * P, src + (ch * nb + img) * P, static_cast<size_t>(P) * sizeof(float));
    }
  });
}
void channels_from_images(const float* src, float* dst, int64_t nb, int64_t k, int64_t P) {
  parallel_for(nb * k, 8, [&](int64_t b, int64_t e) {
    for (int64_t ik = b; ik < e; ++ik) {
      const int64_t img = ik / k, ch = ik % k;
      std::memcpy(dst + (ch * nb + img) * P, src + ik * P, static_cast<size_t>(P) * sizeof(float));
    }
  });
}

// Images [0, n) shared out as `tasks` contiguous ranges; fn(task, first, last).
template <class F>
void per_task_images(int64_t n, int64_t tasks, const F& fn) {
  parallel_for(tasks, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) fn(t, t * n / tasks, (t + 1) * n / tasks);
  });
}

// Threads to share the images among, or 0 when there are fewer images than threads (then one
// large GEMM is split across them instead).
int64_t image_tasks(const Conv2DParams& p) {
  const int64_t threads = thread_pool()->size();
  return p.n >= threads ? threads : 0;
}
}  // namespace

void CpuBackend::conv2d_forward(const Conv2DParams& p, const float* x, const float* w,
                                const float* bias, float* y) {
  const ConvGeometry g(p);
  if (const int64_t tasks = image_tasks(p)) {
    per_task_images(p.n, tasks, [&](int64_t, int64_t first, int64_t last) {
      auto cols = allocate(g.K * g.P);
      for (int64_t i = first; i < last; ++i) {
        im2col(p, g, x + i * p.c * p.h * p.w, 1, cols.get());
        float* yi = y + i * p.k * g.P;
        // y_i(k, P) = w(k, K) · cols(K, P)
        sgemm_serial(false, false, p.k, g.P, g.K, 1.0f, w, g.K, cols.get(), g.P, 0.0f, yi, g.P);
        if (bias) add_bias(yi, bias, 1, p.k, g.P);  // serial here: this runs inside a task
      }
    });
    return;
  }
  auto cols = allocate(g.K * g.chunk * g.P);
  auto tmp = allocate(p.k * g.chunk * g.P);
  for (int64_t n0 = 0; n0 < p.n; n0 += g.chunk) {
    const int64_t nb = std::min(g.chunk, p.n - n0);
    im2col(p, g, x + n0 * p.c * p.h * p.w, nb, cols.get());
    // tmp(k, nb*P) = w(k, K) · cols(K, nb*P)
    sgemm_parallel(false, false, p.k, nb * g.P, g.K, 1.0f, w, g.K, cols.get(), nb * g.P, 0.0f,
                   tmp.get(), nb * g.P);
    float* yc = y + n0 * p.k * g.P;
    images_from_channels(tmp.get(), yc, nb, p.k, g.P);
    if (bias) add_bias(yc, bias, nb, p.k, g.P);
  }
}

void CpuBackend::conv2d_backward(const Conv2DParams& p, const float* x, const float* w,
                                 const float* dy, float* dx, float* dw, float* db) {
  const ConvGeometry g(p);
  if (db) bias_backward(dy, db, p.n, p.k, g.P);
  if (!dx && !dw) return;
  if (const int64_t tasks = image_tasks(p)) {
    // Each task sums its images' dw into its own buffer; the buffers are added in task order.
    auto dw_parts = dw ? allocate(tasks * p.k * g.K) : nullptr;
    per_task_images(p.n, tasks, [&](int64_t t, int64_t first, int64_t last) {
      auto cols = allocate(g.K * g.P);
      float* dw_t = dw ? dw_parts.get() + t * p.k * g.K : nullptr;
      if (dw_t) std::fill(dw_t, dw_t + p.k * g.K, 0.0f);
      for (int64_t i = first; i < last; ++i) {
        const float* dyi = dy + i * p.k * g.P;
        if (dw_t) {
          im2col(p, g, x + i * p.c * p.h * p.w, 1, cols.get());
          // dw_t(k, K) += dy_i(k, P) · cols(K, P)ᵀ
          sgemm_serial(false, true, p.k, g.K, g.P, 1.0f, dyi, g.P, cols.get(), g.P, 1.0f, dw_t, g.K);
        }
        if (dx) {
          // dcols(K, P) = w(k, K)ᵀ · dy_i(k, P)
          sgemm_serial(true, false, g.K, g.P, p.k, 1.0f, w, g.K, dyi, g.P, 0.0f, cols.get(), g.P);
          col2im(p, g, cols.get(), 1, dx + i * p.c * p.h * p.w);
        }
      }
    });
    if (dw) {
      const int64_t size = p.k * g.K;
      parallel_for(size, 4096, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          float s = 0.0f;
          for (int64_t t = 0; t < tasks; ++t) s += dw_parts.get()[t * size + j];
          dw[j] = s;
        }
      });
    }
    return;
  }
  auto cols = allocate(g.K * g.chunk * g.P);
  auto dyc = allocate(p.k * g.chunk * g.P);
  for (int64_t n0 = 0; n0 < p.n; n0 += g.chunk) {
    const int64_t nb = std::min(g.chunk, p.n - n0);
    const int64_t cols_n = nb * g.P;
    channels_from_images(dy + n0 * p.k * g.P, dyc.get(), nb, p.k, g.P);
    if (dw) {
      im2col(p, g, x + n0 * p.c * p.h * p.w, nb, cols.get());
      // dw(k, K) = dy(k, nb*P) · cols(K, nb*P)ᵀ for the first chunk; later chunks add to it
      const float beta = n0 > 0 ? 1.0f : 0.0f;
      sgemm_parallel(false, true, p.k, g.K, cols_n, 1.0f, dyc.get(), cols_n, cols.get(), cols_n,
                     beta, dw, g.K);
    }
    if (dx) {
      // dcols(K, nb*P) = w(k, K)ᵀ · dy(k, nb*P)
      sgemm_parallel(true, false, g.K, cols_n, p.k, 1.0f, w, g.K, dyc.get(), cols_n, 0.0f,
                     cols.get(), cols_n);
      col2im(p, g, cols.get(), nb, dx + n0 * p.c * p.h * p.w);
    }
  }
}

}  // namespace nn::detail
