#include "nn/layers/average_pooling2d.hpp"

#include <stdexcept>

#include "nn/ops/pooling.hpp"

namespace nn {

Variable AveragePooling2D::forward(const Variable& x, bool) {
  return avg_pool2d(x, pool_.h, pool_.w, strides_.h, strides_.w, padding_);
}

Shape GlobalAveragePooling2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (channels, height, width) inputs, got " + to_string(in));
  if (in[1] < 1 || in[2] < 1) fail("needs an image of at least 1x1, got " + to_string(in));
  return {in[0]};
}

Variable GlobalAveragePooling2D::forward(const Variable& x, bool) { return global_avg_pool2d(x); }

}  // namespace nn
