// Max pooling with argmax, and average pooling (padding not counted), NCHW: each task takes
// whole (image, channel) planes.
#include <algorithm>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NN_POOL_AVX512 1
#endif

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

// The gradient of one such row: the two input rows d0 and d1 = d0 + w get g where the argmax
// points and 0 elsewhere, in one pass (the windows do not overlap and cover columns [0, 2*ow)).
NN_MULTIVERSION void max_pool_2x2_backward_row(const float* __restrict g, const int32_t* __restrict arg,
                                               float* __restrict d0, int64_t w, int64_t ow, int32_t base) {
  float* __restrict d1 = d0 + w;
  const auto w32 = static_cast<int32_t>(w);
  for (int64_t ox = 0; ox < ow; ++ox) {
    const int32_t at = arg[ox] - base - 2 * static_cast<int32_t>(ox);  // 0, 1, w or w + 1
    const float v = g[ox];
    d0[2 * ox] = at == 0 ? v : 0.0f;
    d0[2 * ox + 1] = at == 1 ? v : 0.0f;
    d1[2 * ox] = at == w32 ? v : 0.0f;
    d1[2 * ox + 1] = at == w32 + 1 ? v : 0.0f;
  }
  for (int64_t x = 2 * ow; x < w; ++x) d0[x] = d1[x] = 0.0f;  // an odd width's last column
}

// A row kernel over whole planes [b, e) of (h, w) -> (oh, ow), and its gradient, written once for
// every row kernel: one call per chunk of planes, and a direct call per row. (Calling each row
// through a function pointer from the per-plane lambda ran the max-pool forward row at 19-23 GB/s
// in bench_kernels, this at 29-35.)
template <MaxPoolRowFn Row>
inline void max_pool_2x2_planes(const float* x, float* y, int32_t* arg, int64_t b, int64_t e, const PlaneSize& s) {
  for (int64_t plane = b; plane < e; ++plane)
    for (int64_t oy = 0; oy < s.oh; ++oy)
      Row(x + plane * s.h * s.w + 2 * oy * s.w, s.w, y + (plane * s.oh + oy) * s.ow, arg + (plane * s.oh + oy) * s.ow,
          s.ow, static_cast<int32_t>(2 * oy * s.w));
}
template <MaxPoolBackwardRowFn Row>
inline void max_pool_2x2_backward_planes(const float* dy, const int32_t* arg, float* dx, int64_t b, int64_t e,
                                         const PlaneSize& s) {
  for (int64_t plane = b; plane < e; ++plane) {
    float* out = dx + plane * s.h * s.w;
    for (int64_t oy = 0; oy < s.oh; ++oy)
      Row(dy + (plane * s.oh + oy) * s.ow, arg + (plane * s.oh + oy) * s.ow, out + 2 * oy * s.w, s.w, s.ow,
          static_cast<int32_t>(2 * oy * s.w));
    for (int64_t i = 2 * s.oh * s.w; i < s.h * s.w; ++i) out[i] = 0.0f;  // an odd height's last row
  }
}

#if NN_POOL_AVX512
// The same row with AVX-512, 16 outputs per step. The compiler leaves the loop above scalar (its
// loads have stride 2 and it stores an index beside each value), and MNIST's rows are short
// (14 or 7 outputs), so the inputs are split into even and odd columns with permutes and a row's
// end is handled with masks (masked-off lanes are neither loaded nor stored). Same rules: ties go
// to the first cell, a NaN wins.
// The masks of a step of n <= 16 outputs: `keep` its n outputs, `lo` and `hi` its 2n inputs per
// row (the first 16 and the rest).
struct StepMasks {
  __mmask16 lo, hi, keep;
  explicit StepMasks(int64_t n)
      : lo(static_cast<__mmask16>(n >= 8 ? 0xFFFF : (1u << (2 * n)) - 1)),
        hi(static_cast<__mmask16>(n <= 8 ? 0 : (1u << (2 * n - 16)) - 1)),
        keep(static_cast<__mmask16>(n == 16 ? 0xFFFF : (1u << n) - 1)) {}
};

// x beats best: greater, or a NaN over a number.
__attribute__((target("avx512f"))) inline __mmask16 wins(__m512 x, __m512 best) {
  return static_cast<__mmask16>(_mm512_cmp_ps_mask(x, best, _CMP_GT_OQ) |
                                (_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q)));
}

__attribute__((target("avx512f"))) void max_pool_2x2_row_avx512(const float* r0, int64_t w, float* out,
                                                              int32_t* arg, int64_t ow, int32_t base) {
  const float* r1 = r0 + w;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i one = _mm512_set1_epi32(1), right = _mm512_set1_epi32(static_cast<int32_t>(w));
  for (int64_t ox = 0; ox < ow; ox += 16) {
    const StepMasks mask(std::min<int64_t>(16, ow - ox));
    const __mmask16 lo = mask.lo, hi = mask.hi, keep = mask.keep;
    const float* p0 = r0 + 2 * ox;
    const float* p1 = r1 + 2 * ox;
    const __m512 lo0 = _mm512_maskz_loadu_ps(lo, p0), hi0 = _mm512_maskz_loadu_ps(hi, p0 + 16);
    const __m512 lo1 = _mm512_maskz_loadu_ps(lo, p1), hi1 = _mm512_maskz_loadu_ps(hi, p1 + 16);
    const __m512 a = _mm512_permutex2var_ps(lo0, even, hi0), b = _mm512_permutex2var_ps(lo0, odd, hi0);
    const __m512 c = _mm512_permutex2var_ps(lo1, even, hi1), d = _mm512_permutex2var_ps(lo1, odd, hi1);
    const __m512i i0 = _mm512_add_epi32(_mm512_set1_epi32(base + 2 * static_cast<int32_t>(ox)), even);
    const __mmask16 b_wins = wins(b, a);
    __m512 m = _mm512_mask_blend_ps(b_wins, a, b);
    __m512i at = _mm512_mask_blend_epi32(b_wins, i0, _mm512_add_epi32(i0, one));
    const __mmask16 c_wins = wins(c, m);
    m = _mm512_mask_blend_ps(c_wins, m, c);
    at = _mm512_mask_blend_epi32(c_wins, at, _mm512_add_epi32(i0, right));
    const __mmask16 d_wins = wins(d, m);
    m = _mm512_mask_blend_ps(d_wins, m, d);
    at = _mm512_mask_blend_epi32(d_wins, at, _mm512_add_epi32(_mm512_add_epi32(i0, right), one));
    _mm512_mask_storeu_ps(out + ox, keep, m);
    _mm512_mask_storeu_epi32(arg + ox, keep, at);
  }
}

// The gradient row with AVX-512: per 16 outputs, four masked copies of g (one per window cell),
// interleaved back into the two input rows by permutes, stored with the forward kernel's masks.
__attribute__((target("avx512f"))) void max_pool_2x2_backward_row_avx512(const float* g, const int32_t* arg, float* d0,
                                                                       int64_t w, int64_t ow, int32_t base) {
  float* d1 = d0 + w;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i one = _mm512_set1_epi32(1), right = _mm512_set1_epi32(static_cast<int32_t>(w));
  const __m512i right1 = _mm512_add_epi32(right, one);
  for (int64_t ox = 0; ox < ow; ox += 16) {
    const StepMasks mask(std::min<int64_t>(16, ow - ox));
    const __mmask16 lo = mask.lo, hi = mask.hi, keep = mask.keep;
    const __m512 v = _mm512_maskz_loadu_ps(keep, g + ox);
    // the argmax relative to its window's first cell: 0, 1, w or w + 1
    const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(base + 2 * static_cast<int32_t>(ox)), even);
    const __m512i at = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(keep, arg + ox), first);
    const __m512 c0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_setzero_si512()), v);
    const __m512 c1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, one), v);
    const __m512 c2 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, right), v);
    const __m512 c3 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, right1), v);
    _mm512_mask_storeu_ps(d0 + 2 * ox, lo, _mm512_permutex2var_ps(c0, low, c1));
    _mm512_mask_storeu_ps(d0 + 2 * ox + 16, hi, _mm512_permutex2var_ps(c0, high, c1));
    _mm512_mask_storeu_ps(d1 + 2 * ox, lo, _mm512_permutex2var_ps(c2, low, c3));
    _mm512_mask_storeu_ps(d1 + 2 * ox + 16, hi, _mm512_permutex2var_ps(c2, high, c3));
  }
  for (int64_t x = 2 * ow; x < w; ++x) d0[x] = d1[x] = 0.0f;  // an odd width's last column
}

__attribute__((target("avx512f"))) void max_pool_2x2_planes_avx512(const float* x, float* y, int32_t* arg, int64_t b,
                                                                 int64_t e, const PlaneSize& s) {
  max_pool_2x2_planes<max_pool_2x2_row_avx512>(x, y, arg, b, e, s);
}
__attribute__((target("avx512f"))) void max_pool_2x2_backward_planes_avx512(const float* dy, const int32_t* arg,
                                                                          float* dx, int64_t b, int64_t e,
                                                                          const PlaneSize& s) {
  max_pool_2x2_backward_planes<max_pool_2x2_backward_row_avx512>(dy, arg, dx, b, e, s);
}

bool cpu_has_avx512f() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}
#endif

}  // namespace

// The unpadded 2x2 window with stride 2, which has row kernels of its own.
static bool is_plain_2x2(const Pool2DParams& p) {
  return p.pad_top == 0 && p.pad_bottom == 0 && p.pad_left == 0 && p.pad_right == 0 && p.kh == 2 && p.kw == 2 &&
         p.stride_h == 2 && p.stride_w == 2;
}

std::vector<MaxPoolRowKernel> max_pool_2x2_row_kernels() {
  std::vector<MaxPoolRowKernel> kernels;
#if NN_POOL_AVX512
  if (cpu_has_avx512f())
    kernels.push_back({"avx512", max_pool_2x2_row_avx512, max_pool_2x2_backward_row_avx512,
                       max_pool_2x2_planes_avx512, max_pool_2x2_backward_planes_avx512});
#endif
  kernels.push_back({"portable", max_pool_2x2_row, max_pool_2x2_backward_row,
                     max_pool_2x2_planes<max_pool_2x2_row>, max_pool_2x2_backward_planes<max_pool_2x2_backward_row>});
  return kernels;
}

void CpuBackend::max_pool2d_forward(const Pool2DParams& p, const float* x, float* y, int32_t* argmax) {
  const int64_t oh = p.out_h(), ow = p.out_w();
  // The common unpadded 2x2 window with stride 2 has its own row kernel.
  if (is_plain_2x2(p)) {
    static const MaxPoolPlanesFn planes = max_pool_2x2_row_kernels().front().forward_planes;
    const PlaneSize size{p.h, p.w, oh, ow};
    parallel_for(p.n * p.c, 4, [&](int64_t b, int64_t e) { planes(x, y, argmax, b, e, size); });
    return;
  }
  per_plane(p, [&](int64_t plane) {
    const float* in = x + plane * p.h * p.w;
    float* out = y + plane * oh * ow;
    int32_t* arg = argmax + plane * oh * ow;
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
  if (is_plain_2x2(p)) {
    static const MaxPoolBackwardPlanesFn planes = max_pool_2x2_row_kernels().front().backward_planes;
    const PlaneSize size{p.h, p.w, oh, ow};
    parallel_for(p.n * p.c, 4, [&](int64_t b, int64_t e) { planes(dy, argmax, dx, b, e, size); });
    return;
  }
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
