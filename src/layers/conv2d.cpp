#include "nn/layers/conv2d.hpp"

#include <stdexcept>

#include "nn/layers/activation.hpp"
#include "nn/layers/initializers.hpp"

namespace nn {

Conv2D::Conv2D(int64_t filters, int64_t kernel_size, const std::string& padding,
               const std::string& activation, std::string name)
    : Conv2D(filters, kernel_size, kernel_size,
             Conv2DOptions{1, 1, Padding::parse(padding), activation, true, "glorot_uniform", "zeros",
                           std::move(name)}) {}

Conv2D::Conv2D(int64_t filters, int64_t kernel_h, int64_t kernel_w, Conv2DOptions options)
    : Layer("conv2d", options.name), filters_(filters), kernel_h_(kernel_h), kernel_w_(kernel_w),
      options_(std::move(options)) {
  check_size(filters_, "filters");
  check_size(kernel_h_, "kernel height");
  check_size(kernel_w_, "kernel width");
  check_size(options_.strides_h, "stride height");
  check_size(options_.strides_w, "stride width");
  check_activation(options_.activation);
}

Shape Conv2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (channels, height, width) inputs, got " + to_string(in));
  try {
    const Conv2DParams p = conv2d_params({1, in[0], in[1], in[2]}, {filters_, in[0], kernel_h_, kernel_w_},
                                         options_.strides_h, options_.strides_w, options_.padding);
    return {filters_, p.out_h(), p.out_w()};
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

std::vector<WeightSpec> Conv2D::weight_specs(const Shape& in) const {
  compute_output_shape(in);  // validates, with checked sizes
  try {
    const int64_t receptive = checked_mul(kernel_h_, kernel_w_, "kernel size");
    const int64_t fan_in = checked_mul(in[0], receptive, "kernel size");
    const int64_t fan_out = checked_mul(filters_, receptive, "kernel size");
    checked_mul(filters_, fan_in, "kernel size");
    std::vector<WeightSpec> specs{
        {"kernel", {filters_, in[0], kernel_h_, kernel_w_}, options_.kernel_initializer, fan_in, fan_out}};
    if (options_.use_bias) specs.push_back({"bias", {filters_}, options_.bias_initializer, fan_in, fan_out});
    return specs;
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Variable Conv2D::kernel() const { return named_parameters().at(0).second; }
Variable Conv2D::bias() const { return options_.use_bias ? named_parameters().at(1).second : Variable(); }

Variable Conv2D::forward(const Variable& x, bool) {
  return apply_activation(options_.activation, conv2d(x, kernel(), bias(), options_.strides_h,
                                                      options_.strides_w, options_.padding));
}

Variable Conv2D::forward_logits(const Variable& x, bool) {
  return conv2d(x, kernel(), bias(), options_.strides_h, options_.strides_w, options_.padding);
}

Config Conv2D::hyper_parameters() const {
  return {{"filters", filters_},
          {"kernel_size", std::vector<int64_t>{kernel_h_, kernel_w_}},
          {"strides", std::vector<int64_t>{options_.strides_h, options_.strides_w}},
          {"padding", options_.padding.str()},
          {"activation", options_.activation},
          {"use_bias", options_.use_bias},
          {"kernel_initializer", options_.kernel_initializer},
          {"bias_initializer", options_.bias_initializer}};
}

}  // namespace nn
