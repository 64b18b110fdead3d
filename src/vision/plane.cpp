#include "plane.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nn::vision::detail {

Plane resize(const Plane& in, int64_t nw, int64_t nh) {
  Plane out(nw, nh);
  if (in.w == 0 || in.h == 0) return out;
  const double sx = static_cast<double>(in.w) / static_cast<double>(nw);
  const double sy = static_cast<double>(in.h) / static_cast<double>(nh);
  if (sx >= 1.0 && sy >= 1.0) {  // area average: exact coverage of fractional pixels
    for (int64_t y = 0; y < nh; ++y) {
      const double y0 = y * sy, y1 = (y + 1) * sy;
      for (int64_t x = 0; x < nw; ++x) {
        const double x0 = x * sx, x1 = (x + 1) * sx;
        double sum = 0.0;
        for (auto iy = static_cast<int64_t>(y0); iy < std::min<int64_t>(in.h, static_cast<int64_t>(std::ceil(y1))); ++iy) {
          const double wy = std::min<double>(iy + 1, y1) - std::max<double>(iy, y0);
          for (auto ix = static_cast<int64_t>(x0); ix < std::min<int64_t>(in.w, static_cast<int64_t>(std::ceil(x1))); ++ix) {
            const double wx = std::min<double>(ix + 1, x1) - std::max<double>(ix, x0);
            sum += wx * wy * in.at(ix, iy);
          }
        }
        out.at(x, y) = static_cast<float>(sum / (sx * sy));
      }
    }
    return out;
  }
  for (int64_t y = 0; y < nh; ++y) {  // bilinear, pixel centres aligned
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, static_cast<double>(in.h - 1));
    const auto y0 = static_cast<int64_t>(fy);
    const int64_t y1 = std::min(y0 + 1, in.h - 1);
    const double ty = fy - static_cast<double>(y0);
    for (int64_t x = 0; x < nw; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, static_cast<double>(in.w - 1));
      const auto x0 = static_cast<int64_t>(fx);
      const int64_t x1 = std::min(x0 + 1, in.w - 1);
      const double tx = fx - static_cast<double>(x0);
      const double top = in.at(x0, y0) * (1 - tx) + in.at(x1, y0) * tx;
      const double bottom = in.at(x0, y1) * (1 - tx) + in.at(x1, y1) * tx;
      out.at(x, y) = static_cast<float>(top * (1 - ty) + bottom * ty);
    }
  }
  return out;
}

Plane crop(const Plane& in, int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
  x0 = std::clamp<int64_t>(x0, 0, in.w), x1 = std::clamp<int64_t>(x1, x0, in.w);
  y0 = std::clamp<int64_t>(y0, 0, in.h), y1 = std::clamp<int64_t>(y1, y0, in.h);
  Plane out(x1 - x0, y1 - y0);
  for (int64_t y = y0; y < y1; ++y)
    std::copy(in.v.begin() + y * in.w + x0, in.v.begin() + y * in.w + x1, out.v.begin() + (y - y0) * out.w);
  return out;
}

Plane pad(const Plane& in, int64_t r) {
  Plane out(in.w + 2 * r, in.h + 2 * r);
  for (int64_t y = 0; y < out.h; ++y) {
    const int64_t sy = std::clamp<int64_t>(y - r, 0, in.h - 1);
    for (int64_t x = 0; x < out.w; ++x) out.at(x, y) = in.at(std::clamp<int64_t>(x - r, 0, in.w - 1), sy);
  }
  return out;
}

namespace {

// Running extreme over windows of k along a line of n values read with stride, in O(n):
// van Herk / Gil-Werman with prefix and suffix extremes per block of k.
template <class Better>
void line_filter(const float* src, float* dst, int64_t n, int64_t stride, int64_t k, Better better,
                 std::vector<float>& pre, std::vector<float>& suf) {
  const int64_t r = k / 2, m = n + 2 * r;  // padded by replicating the ends
  pre.resize(static_cast<size_t>(m));
  suf.resize(static_cast<size_t>(m));
  auto value = [&](int64_t i) { return src[std::clamp<int64_t>(i - r, 0, n - 1) * stride]; };
  for (int64_t i = 0; i < m; ++i)
    pre[static_cast<size_t>(i)] = (i % k == 0) ? value(i) : better(pre[static_cast<size_t>(i - 1)], value(i));
  for (int64_t i = m - 1; i >= 0; --i)
    suf[static_cast<size_t>(i)] =
        (i == m - 1 || (i + 1) % k == 0) ? value(i) : better(suf[static_cast<size_t>(i + 1)], value(i));
  for (int64_t i = 0; i < n; ++i)  // window [i, i + k) of the padded line
    dst[i * stride] = better(suf[static_cast<size_t>(i)], pre[static_cast<size_t>(std::min(i + k - 1, m - 1))]);
}

template <class Better>
Plane filter2d(const Plane& in, int64_t k, Better better) {
  if (k <= 1 || in.w == 0 || in.h == 0) return in;
  Plane tmp(in.w, in.h), out(in.w, in.h);
  std::vector<float> pre, suf;
  for (int64_t y = 0; y < in.h; ++y) line_filter(&in.v[static_cast<size_t>(y * in.w)], &tmp.v[static_cast<size_t>(y * in.w)], in.w, 1, k, better, pre, suf);
  for (int64_t x = 0; x < in.w; ++x) line_filter(&tmp.v[static_cast<size_t>(x)], &out.v[static_cast<size_t>(x)], in.h, in.w, k, better, pre, suf);
  return out;
}

}  // namespace

Plane max_filter(const Plane& in, int64_t k) {
  return filter2d(in, k, [](float a, float b) { return a > b ? a : b; });
}
Plane min_filter(const Plane& in, int64_t k) {
  return filter2d(in, k, [](float a, float b) { return a < b ? a : b; });
}

float otsu_threshold(const std::vector<float>& values) {
  std::vector<double> hist(256, 0.0);
  for (float v : values) hist[static_cast<size_t>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f)] += 1.0;
  const double total = static_cast<double>(values.size());
  double sum_all = 0.0;
  for (int i = 0; i < 256; ++i) sum_all += i * hist[static_cast<size_t>(i)];
  double w0 = 0.0, sum0 = 0.0, best = -1.0;
  int best_t = 0;
  for (int t = 0; t < 256; ++t) {
    w0 += hist[static_cast<size_t>(t)];
    sum0 += t * hist[static_cast<size_t>(t)];
    const double w1 = total - w0;
    if (w0 == 0.0 || w1 == 0.0) continue;
    const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    const double between = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      best_t = t;
    }
  }
  return (static_cast<float>(best_t) + 0.5f) / 255.0f;
}

float quantile(std::vector<float> values, double q) {
  if (values.empty()) return 0.0f;
  const auto k = static_cast<size_t>(std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

Components connected_components(const std::vector<uint8_t>& mask, int64_t w, int64_t h) {
  Components c;
  c.label.assign(mask.size(), 0);
  c.area.push_back(0);
  std::vector<int64_t> stack;
  for (int64_t start = 0; start < w * h; ++start) {
    if (!mask[static_cast<size_t>(start)] || c.label[static_cast<size_t>(start)]) continue;
    const auto id = static_cast<int32_t>(c.area.size());
    int64_t area = 0;
    stack.push_back(start);
    c.label[static_cast<size_t>(start)] = id;
    while (!stack.empty()) {
      const int64_t p = stack.back();
      stack.pop_back();
      ++area;
      const int64_t px = p % w, py = p / w;
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t x = px + dx, y = py + dy;
          if (x < 0 || y < 0 || x >= w || y >= h) continue;
          const int64_t q = y * w + x;
          if (mask[static_cast<size_t>(q)] && !c.label[static_cast<size_t>(q)]) {
            c.label[static_cast<size_t>(q)] = id;
            stack.push_back(q);
          }
        }
    }
    c.area.push_back(area);
  }
  return c;
}

}  // namespace nn::vision::detail
