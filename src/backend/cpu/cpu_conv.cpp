// Convolution as im2col + GEMM, with the bias and activation fused in (pooling is in cpu_pool.cpp).
//
// With at least as many images as threads, the images are shared out among the threads and each
// image is one single-threaded GEMM on its own columns, cols(K = c*kh*kw, P = oh*ow), written
// straight into the NCHW output, followed by its bias and activation while the output is still in
// cache; backward likewise takes each image's dz = dy act'(y) in cache before its GEMMs. With fewer
// images (inference on one image), one large GEMM per chunk of images is split across the pool
// instead: columns cols(K, nb*P), column index = image*P + pixel, chunks bounded to kColsBudget
// floats.
//
// The plan (CpuConvPlan) keeps what depends only on the geometry: the sizes, each kernel offset's
// valid output rows and columns, and a workspace reused every step; and, where nn is built with
// a convolution provider (conv_kernels.hpp: oneDNN), that provider's kernels, which run every
// direction they take. NN_CONV=im2col turns the provider off (for comparisons); NN_CONV=onednn,
// the default, uses it where it is built in.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "cpu_backend.hpp"
#include "conv_kernels.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {
constexpr int64_t kColsBudget = int64_t{8} << 20;  // floats (32 MiB)

// The output indices [begin, end) whose input index o*stride - pad + k lies inside [0, size).
std::pair<int64_t, int64_t> valid_range(int64_t k, int64_t pad, int64_t stride, int64_t size, int64_t out) {
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  const int64_t begin = std::clamp<int64_t>(ceil_div(pad - k, stride), 0, out);
  const int64_t end = std::clamp<int64_t>(ceil_div(size + pad - k, stride), begin, out);
  return {begin, end};
}

// The CPU backend's plan for one convolution geometry.
class CpuConvPlan final : public KernelPlan {
 public:
  explicit CpuConvPlan(const Conv2DParams& p)
      : geometry(p), K(p.c * p.kh * p.kw), P(p.out_h() * p.out_w()), oh(p.out_h()), ow(p.out_w()) {
    geometry.n = 0;
    for (int64_t ki = 0; ki < p.kh; ++ki)
      for (int64_t kj = 0; kj < p.kw; ++kj) {
        const auto [y0, y1] = valid_range(ki, p.pad_top, p.stride_h, p.h, oh);
        const auto [x0, x1] = valid_range(kj, p.pad_left, p.stride_w, p.w, ow);
        offsets.push_back({y0, y1, x0, x1, ki - p.pad_top, kj - p.pad_left});
      }
  }

  std::string describe() const override;

  // Images per chunk of the one-GEMM path, so that a chunk's columns stay within the budget.
  int64_t chunk(int64_t n) const {
    const int64_t per_image = std::max<int64_t>(1, K * std::max<int64_t>(1, P));
    return std::clamp<int64_t>(kColsBudget / per_image, 1, std::max<int64_t>(1, n));
  }

  // At least `floats` of scratch: the plan's own buffer (grown when too small) while no other
  // call holds it, else a block from the caching allocator.
  class Scratch {
   public:
    Scratch(CpuConvPlan& plan, Backend& be, int64_t floats) : lock_(plan.mutex_, std::try_to_lock) {
      if (lock_.owns_lock()) {
        if (plan.size_ < floats) {
          plan.buffer_.reset();
          plan.buffer_ = be.allocate(floats);
          plan.size_ = floats;
        }
        data_ = plan.buffer_.get();
      } else {
        own_ = be.allocate(floats);
        data_ = own_.get();
      }
    }
    float* get() const { return data_; }

   private:
    std::unique_lock<std::mutex> lock_;
    std::shared_ptr<float> own_;
    float* data_ = nullptr;
  };

  struct Offset {
    int64_t y0, y1, x0, x1;       // output rows and columns that read inside the input
    int64_t first_iy, first_ix;   // the input cell read by output (0, 0): ki - top, kj - left
  };

  Conv2DParams geometry;  // n unused
  int64_t K, P, oh, ow;
  std::vector<Offset> offsets;  // per kernel offset (ki, kj), row-major
  std::unique_ptr<ConvKernels> onednn;  // the provider's kernels; null: im2col for every direction

 private:
  std::mutex mutex_;
  std::shared_ptr<float> buffer_;
  int64_t size_ = 0;
};

CpuConvPlan& plan_for(KernelPlan& plan, const Conv2DParams& p) {
  auto* cpu = dynamic_cast<CpuConvPlan*>(&plan);
  if (!cpu || !cpu->geometry.same_geometry(p))
    throw std::invalid_argument(fmt::format(
        "conv2d: the plan was not made by the CPU backend for this geometry (input ({}, {}, {}), {} filters "
        "of {}x{})", p.c, p.h, p.w, p.k, p.kh, p.kw));
  return *cpu;
}

// One row of the columns, for one kernel offset: out(oh, ow) = plane(h, w) at
// (oy*sh + first_iy, ox*sw + first_ix), 0 outside. Output rows [y0, y1) and columns [x0, x1) read
// inside the plane; the rest is padding. Rows are short (7-28 floats for MNIST), so plain loops,
// with every bound in a register.
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
void im2col(const Conv2DParams& p, const CpuConvPlan& g, const float* x, int64_t nb, float* cols) {
  const int64_t ld = nb * g.P, offsets = p.kh * p.kw;
  parallel_for(nb * p.c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ic = b; ic < e; ++ic) {
      const int64_t img = ic / p.c, ch = ic % p.c;
      const float* plane = x + ic * p.h * p.w;
      for (int64_t o = 0; o < offsets; ++o) {
        const auto& f = g.offsets[static_cast<size_t>(o)];
        im2col_row(plane, cols + (ch * offsets + o) * ld + img * g.P, p.w, g.oh, g.ow, p.stride_h, p.stride_w,
                   f.y0, f.y1, f.x0, f.x1, f.first_iy, f.first_ix);
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
void col2im(const Conv2DParams& p, const CpuConvPlan& g, const float* cols, int64_t nb, float* dx) {
  const int64_t ld = nb * g.P, offsets = p.kh * p.kw;
  parallel_for(nb * p.c, 1, [&](int64_t b, int64_t e) {
    for (int64_t ic = b; ic < e; ++ic) {
      const int64_t img = ic / p.c, ch = ic % p.c;
      float* plane = dx + ic * p.h * p.w;
      std::fill(plane, plane + p.h * p.w, 0.0f);
      for (int64_t o = 0; o < offsets; ++o) {
        const auto& f = g.offsets[static_cast<size_t>(o)];
        col2im_row(cols + (ch * offsets + o) * ld + img * g.P, plane, p.w, g.ow, p.stride_h, p.stride_w, f.y0,
                   f.y1, f.x0, f.x1, f.first_iy, f.first_ix);
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

std::shared_ptr<KernelPlan> CpuBackend::plan_conv2d(const Conv2DParams& p) {
  return make_cpu_conv_plan(p, conv_provider_from_env());
}

ConvProvider conv_provider_from_env() {
  const char* env = std::getenv("NN_CONV");
  if (!env || !*env || std::strcmp(env, "onednn") == 0) return ConvProvider::Onednn;
  if (std::strcmp(env, "im2col") == 0) return ConvProvider::Im2col;
  throw std::invalid_argument(fmt::format("NN_CONV='{}': expected 'onednn' or 'im2col'", env));
}

std::shared_ptr<KernelPlan> make_cpu_conv_plan(const Conv2DParams& p, ConvProvider provider) {
  auto plan = std::make_shared<CpuConvPlan>(p);
  if (provider == ConvProvider::Onednn)
    if (const VendorConv vendor = vendor_conv_kernels(); vendor.make) plan->onednn = vendor.make(p);
  return plan;
}

std::string CpuConvPlan::describe() const {
  if (!onednn) return "im2col + OpenBLAS";
  std::string out = std::string("oneDNN: ") + onednn->implementation();
  if (!onednn->does_forward()) out += "; forward on im2col";
  if (!onednn->does_backward_data()) out += "; backward-data on im2col";
  if (!onednn->does_backward_weights()) out += "; backward-weights on im2col";
  return out;
}

void CpuBackend::conv2d_forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                                const float* bias, Epilogue act, float* y) {
  CpuConvPlan& g = plan_for(plan, p);
  if (g.onednn && g.onednn->does_forward()) {
    g.onednn->forward(*this, p, x, w, bias, act, y);
    return;
  }
  if (const int64_t tasks = image_tasks(p)) {
    const CpuConvPlan::Scratch scratch(g, *this, tasks * g.K * g.P);
    per_task_images(p.n, tasks, [&](int64_t t, int64_t first, int64_t last) {
      float* cols = scratch.get() + t * g.K * g.P;
      for (int64_t i = first; i < last; ++i) {
        im2col(p, g, x + i * p.c * p.h * p.w, 1, cols);
        float* yi = y + i * p.k * g.P;
        // y_i(k, P) = act(w(k, K) · cols(K, P) + bias)
        sgemm_serial(false, false, p.k, g.P, g.K, 1.0f, w, g.K, cols, g.P, 0.0f, yi, g.P);
        bias_activation_serial(yi, bias, p.k, g.P, act);
      }
    });
    return;
  }
  const int64_t chunk = g.chunk(p.n);
  const CpuConvPlan::Scratch scratch(g, *this, (g.K + p.k) * chunk * g.P);
  float* cols = scratch.get();
  float* tmp = cols + g.K * chunk * g.P;
  for (int64_t n0 = 0; n0 < p.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, p.n - n0);
    im2col(p, g, x + n0 * p.c * p.h * p.w, nb, cols);
    float* yc = y + n0 * p.k * g.P;
    // tmp(k, nb*P) = w(k, K) · cols(K, nb*P); for one image that is already y's layout
    float* out = nb == 1 ? yc : tmp;
    sgemm_parallel(false, false, p.k, nb * g.P, g.K, 1.0f, w, g.K, cols, nb * g.P, 0.0f, out, nb * g.P);
    if (nb > 1) images_from_channels(tmp, yc, nb, p.k, g.P);
    bias_activation(yc, bias, nb, p.k, g.P, act);
  }
}

namespace {
void im2col_backward(Backend& be, CpuConvPlan& g, const Conv2DParams& p, const float* x, const float* w,
                     const float* y, const float* dy, Epilogue act, float* dx, float* dw, float* db) {
  if (const int64_t tasks = image_tasks(p)) {
    // Per task: its columns, its images' dz, and its own dw and db sums, added in task order.
    const int64_t cols_size = g.K * g.P, dz_size = act != Epilogue::None ? p.k * g.P : 0;
    const int64_t dw_size = dw ? p.k * g.K : 0, db_size = db ? p.k : 0;
    const int64_t per_task = cols_size + dz_size + dw_size + db_size;
    const CpuConvPlan::Scratch scratch(g, be, tasks * per_task);
    per_task_images(p.n, tasks, [&](int64_t t, int64_t first, int64_t last) {
      float* cols = scratch.get() + t * per_task;
      float* dz = cols + cols_size;
      float* dw_t = dw ? dz + dz_size : nullptr;
      float* db_t = db ? dz + dz_size + dw_size : nullptr;
      if (dw_t) std::fill(dw_t, dw_t + dw_size, 0.0f);
      if (db_t) std::fill(db_t, db_t + db_size, 0.0f);
      for (int64_t i = first; i < last; ++i) {
        const float* dyi = dy + i * p.k * g.P;
        if (act != Epilogue::None) {  // dz_i = dy_i act'(y_i), and its row sums into db
          bias_activation_backward_serial(y + i * p.k * g.P, dyi, dz, db_t, p.k, g.P, act);
          dyi = dz;
        } else if (db_t) {
          bias_activation_backward_serial(nullptr, dyi, nullptr, db_t, p.k, g.P, act);
        }
        if (dw_t) {
          im2col(p, g, x + i * p.c * p.h * p.w, 1, cols);
          // dw_t(k, K) += dz_i(k, P) · cols(K, P)ᵀ
          sgemm_serial(false, true, p.k, g.K, g.P, 1.0f, dyi, g.P, cols, g.P, 1.0f, dw_t, g.K);
        }
        if (dx) {
          // dcols(K, P) = w(k, K)ᵀ · dz_i(k, P)
          sgemm_serial(true, false, g.K, g.P, p.k, 1.0f, w, g.K, dyi, g.P, 0.0f, cols, g.P);
          col2im(p, g, cols, 1, dx + i * p.c * p.h * p.w);
        }
      }
    });
    auto reduce = [&](float* out, int64_t offset, int64_t size) {
      parallel_for(size, 4096, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          float s = 0.0f;
          for (int64_t t = 0; t < tasks; ++t) s += scratch.get()[t * per_task + offset + j];
          out[j] = s;
        }
      });
    };
    if (dw) reduce(dw, cols_size + dz_size, dw_size);
    if (db) reduce(db, cols_size + dz_size + dw_size, db_size);
    return;
  }
  // Fewer images than threads: dz for the whole batch first (when there is an activation), then
  // the chunks' GEMMs split across the pool.
  const int64_t chunk = g.chunk(p.n);
  const int64_t dz_size = act != Epilogue::None ? p.n * p.k * g.P : 0;
  const CpuConvPlan::Scratch scratch(g, be, (g.K + p.k) * chunk * g.P + dz_size);
  float* cols = scratch.get();
  float* dyc = cols + g.K * chunk * g.P;
  float* dz = dyc + p.k * chunk * g.P;
  be.bias_activation_backward(y, dy, act != Epilogue::None ? dz : nullptr, db, p.n, p.k, g.P, act);
  const float* grad = act != Epilogue::None ? dz : dy;
  if (!dx && !dw) return;
  for (int64_t n0 = 0; n0 < p.n; n0 += chunk) {
    const int64_t nb = std::min(chunk, p.n - n0);
    const int64_t cols_n = nb * g.P;
    // dz(k, nb*P); for one image, its own layout already
    const float* dzc = grad + n0 * p.k * g.P;
    if (nb > 1) {
      channels_from_images(dzc, dyc, nb, p.k, g.P);
      dzc = dyc;
    }
    if (dw) {
      im2col(p, g, x + n0 * p.c * p.h * p.w, nb, cols);
      // dw(k, K) = dz(k, nb*P) · cols(K, nb*P)ᵀ for the first chunk; later chunks add to it
      const float beta = n0 > 0 ? 1.0f : 0.0f;
      sgemm_parallel(false, true, p.k, g.K, cols_n, 1.0f, dzc, cols_n, cols, cols_n, beta, dw, g.K);
    }
    if (dx) {
      // dcols(K, nb*P) = w(k, K)ᵀ · dz(k, nb*P)
      sgemm_parallel(true, false, g.K, cols_n, p.k, 1.0f, w, g.K, dzc, cols_n, 0.0f, cols, cols_n);
      col2im(p, g, cols, nb, dx + n0 * p.c * p.h * p.w);
    }
  }
}

}  // namespace

void CpuBackend::conv2d_backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                                 const float* y, const float* dy, Epilogue act, float* dx, float* dw, float* db) {
  CpuConvPlan& g = plan_for(plan, p);
  if (act != Epilogue::None && !y) throw std::invalid_argument("conv2d_backward: a fused activation needs y");
  ConvKernels* provider = g.onednn.get();
  float* dx_provider = dx && provider && provider->does_backward_data() ? dx : nullptr;
  float* dw_provider = dw && provider && provider->does_backward_weights() ? dw : nullptr;
  if (!dx_provider && !dw_provider) {
    im2col_backward(*this, g, p, x, w, y, dy, act, dx, dw, db);
    return;
  }
  // dz = dy act'(y) and db for the whole batch; then each direction on its own kernel.
  std::shared_ptr<float> dz_buffer;
  if (act != Epilogue::None) dz_buffer = allocate(p.n * p.k * g.P);
  bias_activation_backward(y, dy, dz_buffer.get(), db, p.n, p.k, g.P, act);
  const float* dz = act != Epilogue::None ? dz_buffer.get() : dy;
  provider->backward(*this, p, x, w, dz, dx_provider, dw_provider);
  float* dx_rest = dx_provider ? nullptr : dx;
  float* dw_rest = dw_provider ? nullptr : dw;
  if (dx_rest || dw_rest) im2col_backward(*this, g, p, x, w, nullptr, dz, Epilogue::None, dx_rest, dw_rest, nullptr);
}

}  // namespace nn::detail
