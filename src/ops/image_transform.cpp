#include "nn/ops/image_transform.hpp"

#include "backend/fallback.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

// The batch's geometry: N images of C channels of H x W.
struct Images {
  int64_t n, c, h, w;
};

Images images(const char* op, const Shape& s, size_t per_image) {
  if (s.size() != 3 && s.size() != 4)
    throw std::invalid_argument(fmt::format("{}: images must be (N, C, H, W) or (N, H, W), got {}", op, to_string(s)));
  const Images im{s[0], s.size() == 4 ? s[1] : 1, s[s.size() - 2], s[s.size() - 1]};
  if (static_cast<int64_t>(per_image) != im.n)
    throw std::invalid_argument(fmt::format("{}: {} parameters for a batch of {} images", op, per_image, im.n));
  return im;
}

// The four input pixels around (xin, yin) and their bilinear weights; f(index or -1 outside, weight).
template <class F>
void bilinear(float xin, float yin, int64_t h, int64_t w, F&& f) {
  const float fx0 = std::floor(xin), fy0 = std::floor(yin);
  const float ax = xin - fx0, ay = yin - fy0;
  // Far outside: every corner is outside (also keeps the casts below in range).
  if (!(fx0 > -2.0f && fy0 > -2.0f && fx0 < static_cast<float>(w) + 1.0f && fy0 < static_cast<float>(h) + 1.0f)) {
    f(-1, 1.0f);
    return;
  }
  const auto x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
  const int64_t xs[2] = {x0, x0 + 1}, ys[2] = {y0, y0 + 1};
  const float wx[2] = {1.0f - ax, ax}, wy[2] = {1.0f - ay, ay};
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 2; ++i) {
      const bool inside = xs[i] >= 0 && xs[i] < w && ys[j] >= 0 && ys[j] < h;
      f(inside ? ys[j] * w + xs[i] : -1, wx[i] * wy[j]);
    }
}

// f(n, plane offset, output index, xin, yin) for every output pixel of every image and channel.
template <class F>
void for_each_sample(const Images& im, const std::vector<AffineMap>& maps, F&& f) {
  for (int64_t n = 0; n < im.n; ++n) {
    const AffineMap& m = maps[static_cast<size_t>(n)];
    for (int64_t c = 0; c < im.c; ++c)
      for (int64_t r = 0; r < im.h; ++r)
        for (int64_t q = 0; q < im.w; ++q) {
          const auto fq = static_cast<float>(q), fr = static_cast<float>(r);
          f((n * im.c + c) * im.h * im.w, r * im.w + q, m[0] * fq + m[1] * fr + m[2], m[3] * fq + m[4] * fr + m[5]);
        }
  }
}

}  // namespace

AffineMap rotation_map(float radians, int64_t height, int64_t width) {
  const float c = std::cos(radians), s = std::sin(radians);
  const float cx = static_cast<float>(width - 1) / 2, cy = static_cast<float>(height - 1) / 2;
  // xin = cx + c (x - cx) - s (y - cy); yin = cy + s (x - cx) + c (y - cy)
  return {c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy};
}

AffineMap translation_map(float dy, float dx) { return {1, 0, -dx, 0, 1, -dy}; }

AffineMap zoom_map(float zy, float zx, int64_t height, int64_t width) {
  const float cx = static_cast<float>(width - 1) / 2, cy = static_cast<float>(height - 1) / 2;
  return {1 + zx, 0, cx - (1 + zx) * cx, 0, 1 + zy, cy - (1 + zy) * cy};
}

AffineMap compose(const AffineMap& a, const AffineMap& b) {
  // Applying b to the image first, then a: the output samples a's point in b's output, so the
  // sampling maps compose as b ∘ a (input = b(a(output))).
  return {b[0] * a[0] + b[1] * a[3], b[0] * a[1] + b[1] * a[4], b[0] * a[2] + b[1] * a[5] + b[2],
          b[3] * a[0] + b[4] * a[3], b[3] * a[1] + b[4] * a[4], b[3] * a[2] + b[4] * a[5] + b[5]};
}

Variable affine_transform(const Variable& x, const std::vector<AffineMap>& maps, float fill) {
  const Images im = images("affine_transform", x.shape(), maps.size());
  for (const AffineMap& m : maps)
    for (float v : m)
      if (!std::isfinite(v)) throw std::invalid_argument("affine_transform: a map is not finite");
  Tensor y(x.shape(), x.device());
  detail::run_kernel(Kernel::ImageTransform, {&x.value()}, {&y}, [&](Backend&, const auto& in, const auto& o) {
    const float* src = detail::as<float>(in[0]);
    float* dst = detail::as<float>(o[0]);
    for_each_sample(im, maps, [&](int64_t plane, int64_t at, float xin, float yin) {
      float v = 0.0f;
      bilinear(xin, yin, im.h, im.w, [&](int64_t i, float wgt) { v += wgt * (i < 0 ? fill : src[plane + i]); });
      dst[plane + at] = v;
    });
  });
  return make_variable(y, {x}, [maps, im](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx = Tensor::zeros(in[0].shape(), g.device());
    detail::run_kernel(Kernel::ImageTransform, {&g}, {&dx}, [&](Backend&, const auto& gin, const auto& o) {
      const float* dy = detail::as<float>(gin[0]);
      float* d = detail::as<float>(o[0]);
      for_each_sample(im, maps, [&](int64_t plane, int64_t at, float xin, float yin) {
        const float gv = dy[plane + at];
        bilinear(xin, yin, im.h, im.w, [&](int64_t i, float wgt) {
          if (i >= 0) d[plane + i] += wgt * gv;
        });
      });
    });
    in[0].add_grad(dx);
  });
}

Variable adjust_contrast(const Variable& x, const std::vector<float>& factors, float lo, float hi) {
  const Images im = images("adjust_contrast", x.shape(), factors.size());
  if (!(lo < hi)) throw std::invalid_argument(fmt::format("adjust_contrast: value range [{}, {}] is empty", lo, hi));
  for (float f : factors)
    if (!std::isfinite(f) || f < 0) throw std::invalid_argument(fmt::format("adjust_contrast: factor {} is not >= 0", f));
  const int64_t planes = im.n * im.c, pixels = im.h * im.w;
  Tensor y(x.shape(), x.device());
  // The unclipped value z = (x - mean) f + mean; clipped where z leaves [lo, hi].
  const auto for_planes = [planes, pixels, im, factors](const float* src, const auto& body) {
    for (int64_t p = 0; p < planes; ++p) {
      const float* xs = src + p * pixels;
      double sum = 0;
      for (int64_t i = 0; i < pixels; ++i) sum += xs[i];
      body(p, static_cast<float>(sum / static_cast<double>(pixels)), factors[static_cast<size_t>(p / im.c)]);
    }
  };
  detail::run_kernel(Kernel::ImageTransform, {&x.value()}, {&y}, [&](Backend&, const auto& in, const auto& o) {
    const float* src = detail::as<float>(in[0]);
    float* dst = detail::as<float>(o[0]);
    for_planes(src, [&](int64_t p, float mean, float f) {
      for (int64_t i = 0; i < pixels; ++i) dst[p * pixels + i] = std::clamp((src[p * pixels + i] - mean) * f + mean, lo, hi);
    });
  });
  return make_variable(y, {x}, [for_planes, pixels, lo, hi](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(in[0].shape(), g.device());
    const Tensor& xv = in[0].value();
    detail::run_kernel(Kernel::ImageTransform, {&xv, &g}, {&dx}, [&](Backend&, const auto& ins, const auto& o) {
      const float* src = detail::as<float>(ins[0]);
      const float* dy = detail::as<float>(ins[1]);
      float* d = detail::as<float>(o[0]);
      // Where z is inside: dz_i/dx_j = f [i == j] + (1 - f) / P; outside, no gradient.
      for_planes(src, [&](int64_t p, float mean, float f) {
        const float* xs = src + p * pixels;
        const float* gs = dy + p * pixels;
        double passed = 0;
        for (int64_t i = 0; i < pixels; ++i) {
          const float z = (xs[i] - mean) * f + mean;
          if (z >= lo && z <= hi) passed += gs[i];
        }
        const auto shared = static_cast<float>((1.0 - f) * passed / static_cast<double>(pixels));
        for (int64_t i = 0; i < pixels; ++i) {
          const float z = (xs[i] - mean) * f + mean;
          d[p * pixels + i] = (z >= lo && z <= hi ? f * gs[i] : 0.0f) + shared;
        }
      });
    });
    in[0].add_grad(dx);
  });
}

}  // namespace nn
