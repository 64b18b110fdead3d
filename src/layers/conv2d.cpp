#include "nn/layers/conv2d.hpp"

#include "layers/fields.hpp"

#include <stdexcept>

#include "nn/layers/activation.hpp"

namespace nn {

Conv2D::Conv2D(Conv2DOptions options) : Layer("conv2d", options.layer_args()), o_(std::move(options)) {
  check_size(o_.filters(), "filters");
  check_size(o_.kernel_size().h, "kernel height");
  check_size(o_.kernel_size().w, "kernel width");
  check_size(o_.strides().h, "stride height");
  check_size(o_.strides().w, "stride width");
  try {
    check_activation(o_.activation());
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Shape Conv2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (channels, height, width) inputs, got " + to_string(in));
  try {
    const Conv2DParams p =
        conv2d_params({1, in[0], in[1], in[2]}, {o_.filters(), in[0], o_.kernel_size().h, o_.kernel_size().w},
                      o_.strides().h, o_.strides().w, o_.padding());
    return {o_.filters(), p.out_h(), p.out_w()};
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

std::vector<WeightSpec> Conv2D::weight_specs(const Shape& in) const {
  compute_output_shape(in);  // validates, with checked sizes
  try {
    const int64_t kh = o_.kernel_size().h, kw = o_.kernel_size().w, filters = o_.filters();
    const int64_t receptive = checked_mul(kh, kw, "kernel size");
    const int64_t fan_in = checked_mul(in[0], receptive, "kernel size");
    const int64_t fan_out = checked_mul(filters, receptive, "kernel size");
    checked_mul(filters, fan_in, "kernel size");
    std::vector<WeightSpec> specs{
        {"kernel", {filters, in[0], kh, kw}, o_.kernel_initializer(), fan_in, fan_out}};
    if (o_.use_bias()) specs.push_back({"bias", {filters}, o_.bias_initializer(), fan_in, fan_out});
    return specs;
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Variable Conv2D::kernel() const { return named_parameters().at(0).second; }
Variable Conv2D::bias() const { return o_.use_bias() ? named_parameters().at(1).second : Variable(); }

Variable Conv2D::forward(const Variable& x, bool training) {
  if (const auto act = fused_activation(o_.activation()))  // in the convolution's own pass
    return conv2d(x, kernel(), bias(), o_.strides().h, o_.strides().w, o_.padding(), *act, plans_.get());
  return apply_activation(o_.activation(), forward_logits(x, training));
}

Variable Conv2D::forward_logits(const Variable& x, bool) {
  return conv2d(x, kernel(), bias(), o_.strides().h, o_.strides().w, o_.padding(), Epilogue::None, plans_.get());
}

Config Conv2D::hyper_parameters() const { return detail::write_fields(o_); }

}  // namespace nn
