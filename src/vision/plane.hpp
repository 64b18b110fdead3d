#pragma once
// A single-channel float image and the few operations the MNIST-form pipeline needs: area and
// bilinear resampling, separable min/max filters (O(1) per pixel, van Herk / Gil-Werman), Otsu's
// threshold, connected components.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nn::vision::detail {

struct Plane {
  int64_t w = 0, h = 0;
  std::vector<float> v;  // row-major
  Plane() = default;
  Plane(int64_t width, int64_t height, float fill = 0.0f)
      : w(width), h(height), v(static_cast<size_t>(width * height), fill) {}
  float& at(int64_t x, int64_t y) { return v[static_cast<size_t>(y * w + x)]; }
  float at(int64_t x, int64_t y) const { return v[static_cast<size_t>(y * w + x)]; }
};

// Resamples to (nw, nh): each output pixel averages the input area it covers (anti-aliased
// downscaling); upscaling falls back to bilinear interpolation.
Plane resize(const Plane& in, int64_t nw, int64_t nh);
Plane crop(const Plane& in, int64_t x0, int64_t y0, int64_t x1, int64_t y1);  // [x0, x1) x [y0, y1)
// The plane grown by r pixels on every side, the edge pixels repeated outward.
Plane pad(const Plane& in, int64_t r);

// Max (dilate) / min (erode) over a k x k square, k odd; edges replicate.
Plane max_filter(const Plane& in, int64_t k);
Plane min_filter(const Plane& in, int64_t k);

// Otsu's threshold of values in [0, 1] (256 bins): the level that best separates two classes.
float otsu_threshold(const std::vector<float>& values);
// The q-quantile (0..1) of values (a copy is partially sorted).
float quantile(std::vector<float> values, double q);

// 8-connected components of mask (non-zero): a label per pixel (0 = background, 1..n) and the
// area of each label (index 0 unused).
struct Components {
  std::vector<int32_t> label;
  std::vector<int64_t> area;
};
Components connected_components(const std::vector<uint8_t>& mask, int64_t w, int64_t h);

}  // namespace nn::vision::detail
