#include "nn/layers/average_pooling2d.hpp"

#include <stdexcept>

#include "nn/ops/pooling.hpp"

namespace nn {

AveragePooling2D::AveragePooling2D(AveragePooling2DOptions o)
    : Layer("average_pooling2d", o.layer_args()),
      pool_(o.pool_size()),
      strides_(o.strides().value_or(o.pool_size())),
      padding_(o.padding()) {
  check_size(pool_.h, "pool height");
  check_size(pool_.w, "pool width");
  check_size(strides_.h, "stride height");
  check_size(strides_.w, "stride width");
}

Shape AveragePooling2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (channels, height, width) inputs, got " + to_string(in));
  try {
    const Pool2DParams p =
        pool2d_params("avg_pool2d", {1, in[0], in[1], in[2]}, pool_.h, pool_.w, strides_.h, strides_.w, padding_);
    return {in[0], p.out_h(), p.out_w()};
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Variable AveragePooling2D::forward(const Variable& x, bool) {
  return avg_pool2d(x, pool_.h, pool_.w, strides_.h, strides_.w, padding_);
}

Config AveragePooling2D::hyper_parameters() const {
  return {{"pool_size", std::vector<int64_t>{pool_.h, pool_.w}},
          {"strides", std::vector<int64_t>{strides_.h, strides_.w}},
          {"padding", padding_.str()}};
}

Shape GlobalAveragePooling2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (channels, height, width) inputs, got " + to_string(in));
  if (in[1] < 1 || in[2] < 1) fail("needs an image of at least 1x1, got " + to_string(in));
  return {in[0]};
}

Variable GlobalAveragePooling2D::forward(const Variable& x, bool) { return global_avg_pool2d(x); }

}  // namespace nn
