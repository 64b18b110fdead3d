// Max pooling with argmax, and average pooling (padding not counted), NCHW: each task takes
// whole (image, channel) planes.
#include <algorithm>

#include "cpu_backend.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {

// fn(plane) for each of the n*c planes, shared out among the threads.
template <class F>
void per_plane(const Pool2DParams& p, const F& fn) {
  parallel_for(p.n * p.c, 4, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) fn(plane);
  });
}

// The window of output cell (oy, ox), clipped to the input: rows [y0, y1), columns [x0, x1).
// Never empty: padding is smaller than the window.
struct Window {
  int64_t y0, y1, x0, x1;
  Window(const Pool2DParams& p, int64_t oy, int64_t ox)
      : y0(std::max<int64_t>(0, oy * p.stride_h - p.pad_top)),
        y1(std::min(p.h, oy * p.stride_h - p.pad_top + p.kh)),
        x0(std::max<int64_t>(0, ox * p.stride_w - p.pad_left)),
        x1(std::min(p.w, ox * p.stride_w - p.pad_left + p.kw)) {}
  float inverse_count() const { return 1.0f / static_cast<float>((y1 - y0) * (x1 - x0)); }
};

// One output row of a 2x2, stride-2 max pool: r0 and r1 are the two input rows (r1 = r0 + w),
// base the flat index of r0[0] in its plane. No branches on the data (which a predictor cannot
// learn). Ties go to the first cell in row-major order and a NaN wins, as in the general loop.
NN_MULTIVERSION void max_pool_2x2_row(const float* __restrict r0, int64_t w, float* __restrict out,
                                      int32_t* __restrict arg, int64_t ow, int32_t base) {
  const float* r1 = r0 + w;
  const auto w32 = static_cast<int32_t>(w);
  for (int64_t ox = 0; ox < ow; ++ox) {
    const float a = r0[2 * ox], bb = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
    const int32_t i0 = base + 2 * static_cast<int32_t>(ox);
    // "v beats best": greater, or NaN over a number (| and &, not || and &&: no branches).
    const bool b_wins = (bb > a) | ((bb != bb) & (a == a));
    float m = b_wins ? bb : a;
    int32_t at = b_wins ? i0 + 1 : i0;
    const bool c_wins = (c > m) | ((c != c) & (m == m));
    m = c_wins ? c : m;
    at = c_wins ? i0 + w32 : at;
    const bool d_wins = (d > m) | ((d != d) & (m == m));
    out[ox] = d_wins ? d : m;
    arg[ox] = d_wins ? i0 + w32 + 1 : at;
  }
}

}  // namespace

void CpuBackend::max_pool2d_forward(const Pool2DParams& p, const float* x, float* y, int32_t* argmax) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  // The common unpadded 2x2 window with stride 2 has its own row kernel.
  const bool two_by_two = p.pad_top == 0 && p.pad_bottom == 0 && p.pad_left == 0 && p.pad_right == 0 &&
                          p.kh == 2 && p.kw == 2 && p.stride_h == 2 && p.stride_w == 2;
  per_plane(p, [&](int64_t plane) {
    const float* in = x + plane * p.h * p.w;
    float* out = y + plane * oh * ow;
    int32_t* arg = argmax + plane * oh * ow;
    if (two_by_two) {
      for (int64_t oy = 0; oy < oh; ++oy)
        max_pool_2x2_row(in + 2 * oy * p.w, p.w, out + oy * ow, arg + oy * ow, ow, static_cast<int32_t>(2 * oy * p.w));
      return;
    }
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const Window win(p, oy, ox);
        int64_t best_at = win.y0 * p.w + win.x0;
        float best = in[best_at];
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) {
            const float v = in[iy * p.w + ix];
            if (v > best || (v != v && best == best)) {  // NaN wins, as in PyTorch
              best = v;
              best_at = iy * p.w + ix;
            }
          }
        out[oy * ow + ox] = best;
        arg[oy * ow + ox] = static_cast<int32_t>(best_at);
      }
  });
}

void CpuBackend::max_pool2d_backward(const Pool2DParams& p, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  per_plane(p, [&](int64_t plane) {
    float* out = dx + plane * p.h * p.w;
    std::fill(out, out + p.h * p.w, 0.0f);
    const float* g = dy + plane * oh * ow;
    const int32_t* arg = argmax + plane * oh * ow;
    for (int64_t i = 0; i < oh * ow; ++i)
      if (arg[i] >= 0) out[arg[i]] += g[i];
  });
}

void CpuBackend::avg_pool2d_forward(const Pool2DParams& p, const float* x, float* y) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  per_plane(p, [&](int64_t plane) {
    const float* in = x + plane * p.h * p.w;
    float* out = y + plane * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const Window win(p, oy, ox);
        float s = 0.0f;
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) s += in[iy * p.w + ix];
        out[oy * ow + ox] = s * win.inverse_count();
      }
  });
}

void CpuBackend::avg_pool2d_backward(const Pool2DParams& p, const float* dy, float* dx) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  per_plane(p, [&](int64_t plane) {
    float* out = dx + plane * p.h * p.w;
    std::fill(out, out + p.h * p.w, 0.0f);
    const float* g = dy + plane * oh * ow;
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const Window win(p, oy, ox);
        const float share = g[oy * ow + ox] * win.inverse_count();
        for (int64_t iy = win.y0; iy < win.y1; ++iy)
          for (int64_t ix = win.x0; ix < win.x1; ++ix) out[iy * p.w + ix] += share;
      }
  });
}

}  // namespace nn::detail
