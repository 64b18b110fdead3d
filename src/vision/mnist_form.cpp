#include "nn/vision/mnist_form.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "plane.hpp"

namespace nn::vision {
namespace {

using detail::Plane;

constexpr int64_t kLocateSide = 1024;  // longest side of the low-resolution search
constexpr int64_t kDetailSide = 320;   // a digit is processed with its longer side near this
constexpr float kMinContrast = 0.12f;  // ink must be this much darker than the paper (relative)

// Luminance in [0, 1], alpha composited over the background the ink does not have.
Plane grayscale(const Image& img) {
  const size_t n = static_cast<size_t>(img.width * img.height);
  const uint8_t* p = img.rgba.data();
  auto lum = [&](size_t i) {  // gray stays exactly v / 255, as MNIST's own pixels are scaled
    if (p[4 * i] == p[4 * i + 1] && p[4 * i] == p[4 * i + 2]) return p[4 * i] * (1.0f / 255.0f);
    return (0.299f * p[4 * i] + 0.587f * p[4 * i + 1] + 0.114f * p[4 * i + 2]) * (1.0f / 255.0f);
  };
  bool transparent = false;
  double opaque_sum = 0.0;
  size_t opaque = 0;
  for (size_t i = 0; i < n; ++i) {
    if (p[4 * i + 3] < 255) transparent = true;
    if (p[4 * i + 3] >= 128) {
      opaque_sum += lum(i);
      ++opaque;
    }
  }
  // Without transparency, alpha plays no part. With it, the opaque pixels are the ink: a dark
  // drawing on a transparent canvas is put on white, a light one on black.
  const float background = (!transparent || opaque == 0 || opaque_sum / static_cast<double>(opaque) < 0.5) ? 1.0f : 0.0f;
  Plane g(img.width, img.height);
  for (size_t i = 0; i < n; ++i) {
    const float a = p[4 * i + 3] * (1.0f / 255.0f);
    g.v[i] = a * lum(i) + (1.0f - a) * background;
  }
  return g;
}

// The median of the outer frame (a twentieth of the smaller side, at least one pixel).
float border_median(const Plane& g) {
  const int64_t f = std::max<int64_t>(1, std::min(g.w, g.h) / 20);
  std::vector<float> border;
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < g.w; ++x)
      if (x < f || y < f || x >= g.w - f || y >= g.h - f) border.push_back(g.at(x, y));
  return detail::quantile(border, 0.5);
}

Plane scaled_to(const Plane& g, int64_t longest) {
  const int64_t side = std::max(g.w, g.h);
  if (side <= longest) return g;
  const double s = static_cast<double>(longest) / static_cast<double>(side);
  return detail::resize(g, std::max<int64_t>(1, std::lround(g.w * s)), std::max<int64_t>(1, std::lround(g.h * s)));
}

// The ink of a dark-on-light image: weights in [0, 1] with the paper at 0, and the bounding box
// of the digit's components (specks dropped).
struct Ink {
  Plane weight;
  int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // [x0, x1) x [y0, y1)
  double stroke_width = 0.0;              // estimated, in pixels of `weight`
};

std::optional<Ink> find_ink(const Plane& g) {
  // The paper: a closing (max, then min) wide enough to erase strokes; ink is the relative
  // darkness against it, which also removes shading and uneven light. The closing runs on the
  // image padded by its own edges, so that light falling off toward an edge (a vignette) is
  // followed to the edge and not taken for ink.
  const int64_t k = std::max<int64_t>(5, std::min(g.w, g.h) / 3) | 1, half = k / 2;
  const Plane closed = detail::min_filter(detail::max_filter(detail::pad(g, half), k), k);
  const Plane paper = detail::crop(closed, half, half, half + g.w, half + g.h);
  Plane ink(g.w, g.h);
  for (size_t i = 0; i < ink.v.size(); ++i)
    ink.v[i] = std::clamp((paper.v[i] - g.v[i]) / std::max(paper.v[i], 0.05f), 0.0f, 1.0f);
  const float peak = *std::max_element(ink.v.begin(), ink.v.end());
  if (peak < kMinContrast) return std::nullopt;
  // Hysteresis: Otsu's threshold marks the sure ink; the strokes extend down to half of it, so
  // the faint, blurred parts of a stroke stay attached to its core.
  // Otsu alone can settle between the paper's noise and the residue of a shadow when the digit
  // is a few pixels of a large image; the sure ink is also at least 30% of the darkest ink.
  const float t = std::max({detail::otsu_threshold(ink.v), 0.3f * peak, kMinContrast * 0.75f});
  std::vector<uint8_t> mask(ink.v.size());
  for (size_t i = 0; i < mask.size(); ++i) mask[i] = ink.v[i] > 0.5f * t;
  const detail::Components cc = detail::connected_components(mask, g.w, g.h);
  std::vector<uint8_t> sure(cc.area.size(), 0);
  for (size_t i = 0; i < mask.size(); ++i)
    if (ink.v[i] > t) sure[static_cast<size_t>(cc.label[i])] = 1;
  int64_t largest = 0;
  for (size_t c = 1; c < cc.area.size(); ++c)
    if (sure[c]) largest = std::max(largest, cc.area[c]);
  if (largest < std::max<int64_t>(4, (g.w * g.h) / 20000)) return std::nullopt;
  // Keep the components that matter: at least 5% of the largest (a digit's separate strokes).
  std::vector<uint8_t> keep(cc.area.size(), 0);
  for (size_t c = 1; c < cc.area.size(); ++c) keep[c] = sure[c] && cc.area[c] * 20 >= largest;
  Ink r;
  r.x0 = g.w, r.y0 = g.h;
  int64_t area = 0, boundary = 0;
  std::vector<float> strong;
  Plane kept(g.w, g.h);
  for (int64_t y = 0; y < g.h; ++y)
    for (int64_t x = 0; x < g.w; ++x) {
      const int32_t l = cc.label[static_cast<size_t>(y * g.w + x)];
      if (!l || !keep[static_cast<size_t>(l)]) continue;
      kept.at(x, y) = 1.0f;
      r.x0 = std::min(r.x0, x), r.y0 = std::min(r.y0, y), r.x1 = std::max(r.x1, x + 1), r.y1 = std::max(r.y1, y + 1);
      ++area;
      strong.push_back(ink.at(x, y));
      bool edge = false;
      for (auto [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        const int64_t nx = x + dx, ny = y + dy;
        edge = edge || nx < 0 || ny < 0 || nx >= g.w || ny >= g.h || !mask[static_cast<size_t>(ny * g.w + nx)];
      }
      boundary += edge;
    }
  // A stroke of width w and length L has area w L and about 2 L edge pixels.
  r.stroke_width = boundary ? 2.0 * static_cast<double>(area) / static_cast<double>(boundary) : 1.0;
  // Weights: 0 at half the threshold, 1 at the strong ink; anti-aliased edges of the kept
  // strokes survive (the kept mask grown by two pixels), specks and noise do not.
  const float lo = 0.25f * t, hi = std::max(detail::quantile(strong, 0.9), lo + 0.05f);
  const Plane near = detail::max_filter(kept, 5);
  r.weight = Plane(g.w, g.h);
  for (size_t i = 0; i < ink.v.size(); ++i)
    r.weight.v[i] = near.v[i] > 0.0f ? std::clamp((ink.v[i] - lo) / (hi - lo), 0.0f, 1.0f) : 0.0f;
  return r;
}

// The digit's weights scaled into a box x box frame (longer side), thickened to MNIST's stroke.
Plane fit_box(const Ink& ink, int64_t box) {
  const int64_t bw = ink.x1 - ink.x0, bh = ink.y1 - ink.y0, side = std::max(bw, bh);
  // MNIST's strokes are about an eighth of the digit's height; thin pen lines are grown toward it.
  const double target = 0.11 * static_cast<double>(side);
  int64_t r = 0;
  if (ink.stroke_width < 0.85 * target) r = std::min<int64_t>(std::lround((target - ink.stroke_width) / 2), side / 10);
  Plane digit = detail::crop(ink.weight, ink.x0 - r, ink.y0 - r, ink.x1 + r, ink.y1 + r);
  if (r > 0) digit = detail::max_filter(digit, 2 * r + 1);
  const double s = static_cast<double>(box) / static_cast<double>(std::max(digit.w, digit.h));
  digit = detail::resize(digit, std::max<int64_t>(1, std::lround(digit.w * s)), std::max<int64_t>(1, std::lround(digit.h * s)));
  const float peak = *std::max_element(digit.v.begin(), digit.v.end());
  if (peak > 0.0f)
    for (float& v : digit.v) v = std::min(1.0f, v / peak);
  return digit;
}

}  // namespace

Tensor to_mnist(const Image& image, const MnistFormOptions& o) {
  if (image.width <= 0 || image.height <= 0 ||
      image.rgba.size() != static_cast<size_t>(image.width * image.height * 4))
    throw std::invalid_argument("to_mnist: an image of " + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + " with " + std::to_string(image.rgba.size()) + " bytes");
  if (o.box < 1 || o.box > o.size) throw std::invalid_argument("to_mnist: box must be in [1, size]");
  Plane g = grayscale(image);
  const bool light_paper = border_median(g) >= 0.5f;
  if (!light_paper && g.w == o.size && g.h == o.size) return Tensor::from_vector({o.size, o.size}, g.v);  // MNIST's form
  if (!light_paper)
    for (float& v : g.v) v = 1.0f - v;  // light ink on a dark ground: make it dark on light

  // Locate the digit at low resolution, then process its region at a detail that suits it.
  const Plane small = scaled_to(g, kLocateSide);
  std::optional<Ink> ink = find_ink(small);
  if (!ink) throw NoDigitError("no digit found (the image has no ink that stands out from its background)");
  const double to_full = static_cast<double>(g.w) / static_cast<double>(small.w);
  const int64_t side = std::max(ink->x1 - ink->x0, ink->y1 - ink->y0);
  const auto margin = static_cast<int64_t>(0.25 * side) + 2;
  Plane region = detail::crop(g, std::lround((ink->x0 - margin) * to_full), std::lround((ink->y0 - margin) * to_full),
                              std::lround((ink->x1 + margin) * to_full), std::lround((ink->y1 + margin) * to_full));
  const double detail_scale = static_cast<double>(kDetailSide) / (static_cast<double>(side) * to_full);
  if (detail_scale < 1.0) region = scaled_to(region, std::lround(std::max(region.w, region.h) * detail_scale));
  if (std::optional<Ink> fine = find_ink(region)) ink = std::move(fine);
  else if (region.w * region.h < 16) throw NoDigitError("no digit found (too small to read)");

  const Plane digit = fit_box(*ink, o.box);
  // Centre of mass to the centre of the frame, as MNIST was made.
  double mass = 0.0, cx = 0.0, cy = 0.0;
  for (int64_t y = 0; y < digit.h; ++y)
    for (int64_t x = 0; x < digit.w; ++x) {
      const double v = digit.at(x, y);
      mass += v, cx += v * (x + 0.5), cy += v * (y + 0.5);
    }
  if (mass <= 0.0) throw NoDigitError("no digit found");
  const double half = static_cast<double>(o.size) / 2.0;
  const int64_t ox = std::lround(half - cx / mass), oy = std::lround(half - cy / mass);
  std::vector<float> out(static_cast<size_t>(o.size * o.size), 0.0f);
  for (int64_t y = 0; y < digit.h; ++y)
    for (int64_t x = 0; x < digit.w; ++x) {
      const int64_t tx = x + ox, ty = y + oy;
      if (tx >= 0 && ty >= 0 && tx < o.size && ty < o.size) out[static_cast<size_t>(ty * o.size + tx)] = digit.at(x, y);
    }
  return Tensor::from_vector({o.size, o.size}, out);
}

}  // namespace nn::vision
