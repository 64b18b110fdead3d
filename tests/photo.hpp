#pragma once
// MNIST digits as a person's photos of them, for testing nn::vision: the 28 x 28 digit (white on
// black, [0, 1]) is scaled up smoothly, written in dark ink at a random place and size on a
// larger, lighter sheet with a lighting gradient, blurred a little and given sensor noise.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "nn/random.hpp"
#include "nn/vision/image.hpp"

namespace nn::test {

inline vision::Image photograph(const float* digit, Generator& g) {
  vision::Image img;
  img.width = 200 + static_cast<int64_t>(g.below(700));
  img.height = 200 + static_cast<int64_t>(g.below(700));
  const int64_t side = 50 + static_cast<int64_t>(g.below(static_cast<uint64_t>(std::min(img.width, img.height) - 60)));
  const int64_t x0 = static_cast<int64_t>(g.below(static_cast<uint64_t>(img.width - side)));
  const int64_t y0 = static_cast<int64_t>(g.below(static_cast<uint64_t>(img.height - side)));
  const float paper = g.uniform(0.75f, 0.97f), ink = g.uniform(0.05f, 0.35f), light = g.uniform(0.0f, 0.3f);
  const bool blue = g.uniform() < 0.5f;
  std::vector<float> gray(static_cast<size_t>(img.width * img.height));
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x) {
      float v = 0.0f;  // the digit, bilinear from its 28 x 28
      if (x >= x0 && y >= y0 && x < x0 + side && y < y0 + side) {
        const float fx = std::clamp((x - x0 + 0.5f) * 28.0f / side - 0.5f, 0.0f, 27.0f);
        const float fy = std::clamp((y - y0 + 0.5f) * 28.0f / side - 0.5f, 0.0f, 27.0f);
        const int ix = static_cast<int>(fx), iy = static_cast<int>(fy);
        const int jx = std::min(ix + 1, 27), jy = std::min(iy + 1, 27);
        const float tx = fx - ix, ty = fy - iy;
        v = (digit[iy * 28 + ix] * (1 - tx) + digit[iy * 28 + jx] * tx) * (1 - ty) +
            (digit[jy * 28 + ix] * (1 - tx) + digit[jy * 28 + jx] * tx) * ty;
      }
      const float lit = 1.0f - light * static_cast<float>(x + y) / static_cast<float>(img.width + img.height);
      gray[static_cast<size_t>(y * img.width + x)] = (paper * (1 - v) + ink * v) * lit;
    }
  img.rgba.resize(gray.size() * 4);
  for (size_t i = 0; i < gray.size(); ++i) {
    // a 3 x 3 blur, and noise
    const int64_t x = static_cast<int64_t>(i) % img.width, y = static_cast<int64_t>(i) / img.width;
    float s = 0.0f;
    int n = 0;
    for (int64_t dy = -1; dy <= 1; ++dy)
      for (int64_t dx = -1; dx <= 1; ++dx)
        if (x + dx >= 0 && y + dy >= 0 && x + dx < img.width && y + dy < img.height) {
          s += gray[static_cast<size_t>((y + dy) * img.width + x + dx)];
          ++n;
        }
    const float v = std::clamp(s / n + 0.02f * g.normal(), 0.0f, 1.0f);
    const auto c = static_cast<uint8_t>(v * 255.0f + 0.5f);
    img.rgba[4 * i] = blue ? static_cast<uint8_t>(c * 0.8f) : c;
    img.rgba[4 * i + 1] = blue ? static_cast<uint8_t>(c * 0.85f) : c;
    img.rgba[4 * i + 2] = c;
    img.rgba[4 * i + 3] = 255;
  }
  return img;
}

}  // namespace nn::test
