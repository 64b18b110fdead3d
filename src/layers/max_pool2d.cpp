#include "nn/layers/max_pool2d.hpp"

#include <stdexcept>

#include "nn/ops/pooling.hpp"

namespace nn {

MaxPool2D::MaxPool2D(int64_t pool_size, int64_t strides, const std::string& padding, std::string name)
    : MaxPool2D(pool_size, pool_size, strides ? strides : pool_size, strides ? strides : pool_size,
                Padding::parse(padding), std::move(name)) {}

MaxPool2D::MaxPool2D(int64_t pool_h, int64_t pool_w, int64_t strides_h, int64_t strides_w,
                     Padding padding, std::string name)
    : Layer("max_pooling2d", std::move(name)), pool_h_(pool_h), pool_w_(pool_w),
      strides_h_(strides_h), strides_w_(strides_w), padding_(padding) {
  check_size(pool_h_, "pool height");
  check_size(pool_w_, "pool width");
  check_size(strides_h_, "stride height");
  check_size(strides_w_, "stride width");
}

Shape MaxPool2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (channels, height, width) inputs, got " + to_string(in));
  try {
    const Pool2DParams p =
        max_pool2d_params({1, in[0], in[1], in[2]}, pool_h_, pool_w_, strides_h_, strides_w_, padding_);
    return {in[0], p.out_h(), p.out_w()};
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Variable MaxPool2D::forward(const Variable& x, bool) {
  return max_pool2d(x, pool_h_, pool_w_, strides_h_, strides_w_, padding_);
}

Config MaxPool2D::hyper_parameters() const {
  return {{"pool_size", std::vector<int64_t>{pool_h_, pool_w_}},
          {"strides", std::vector<int64_t>{strides_h_, strides_w_}},
          {"padding", padding_.str()}};
}

}  // namespace nn
