#include "nn/data/augment.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "nn/ops/image_transform.hpp"

namespace nn::data {
namespace {

constexpr float kTwoPi = 6.283185307179586f;

// The image as a batch of one, in float32: (1, H, W) or (1, C, H, W).
Tensor batch_of_one(const Tensor& image, const char* what) {
  if (image.ndim() != 2 && image.ndim() != 3)
    throw std::invalid_argument(std::string(what) + ": an image is (H, W) or (C, H, W), got " + to_string(image.shape()));
  Shape s{1};
  s.insert(s.end(), image.shape().begin(), image.shape().end());
  return image.to(kFloat32).reshape(s);
}

Tensor warp(const Tensor& image, const char* what, const AffineMap& map, float fill) {
  return affine_transform(Variable(batch_of_one(image, what)), {map}, fill).value().reshape(image.shape());
}

int64_t height(const Tensor& image) { return image.dim(image.ndim() - 2); }
int64_t width(const Tensor& image) { return image.dim(image.ndim() - 1); }

}  // namespace

Tensor rotate(const Tensor& image, float radians, float fill) {
  return warp(image, "rotate", rotation_map(radians, height(image), width(image)), fill);
}

Tensor translate(const Tensor& image, float dy, float dx, float fill) {
  return warp(image, "translate", translation_map(dy, dx), fill);
}

Tensor zoom(const Tensor& image, float zy, float zx, float fill) {
  if (!(zy > -1.0f && zx > -1.0f)) throw std::invalid_argument("zoom: factors must be > -1");
  return warp(image, "zoom", zoom_map(zy, zx, height(image), width(image)), fill);
}

Tensor adjust_contrast(const Tensor& image, float factor, float lo, float hi) {
  return nn::adjust_contrast(Variable(batch_of_one(image, "adjust_contrast")), {factor}, lo, hi)
      .value()
      .reshape(image.shape());
}

Tensor random_rotation(const Tensor& image, float factor, Generator& gen, float fill) {
  return rotate(image, gen.uniform(-factor, factor) * kTwoPi, fill);
}

Tensor random_translation(const Tensor& image, float height_factor, float width_factor, Generator& gen, float fill) {
  const float fh = height_factor * static_cast<float>(height(image)), fw = width_factor * static_cast<float>(width(image));
  const float dy = gen.uniform(-fh, fh);
  return translate(image, dy, gen.uniform(-fw, fw), fill);
}

Tensor random_zoom(const Tensor& image, float factor, Generator& gen, float fill) {
  const float z = gen.uniform(-factor, factor);
  return zoom(image, z, z, fill);
}

Tensor random_contrast(const Tensor& image, float factor, Generator& gen, float lo, float hi) {
  return adjust_contrast(image, gen.uniform(1.0f - factor, 1.0f + factor), lo, hi);
}

}  // namespace nn::data
