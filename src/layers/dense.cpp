#include "nn/layers/dense.hpp"

#include "layers/fields.hpp"

#include <stdexcept>

#include "nn/layers/activation.hpp"
#include "nn/ops/matmul.hpp"

namespace nn {

Dense::Dense(DenseOptions options) : Layer("dense", options.layer_args()), o_(std::move(options)) {
  check_size(o_.units(), "units");
  try {
    check_activation(o_.activation());
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Shape Dense::compute_output_shape(const Shape& in) const {
  if (in.size() != 1) fail("expects (features,) inputs, got " + to_string(in) + " (add a Flatten first)");
  return {o_.units()};
}

std::vector<WeightSpec> Dense::weight_specs(const Shape& in) const {
  compute_output_shape(in);
  const int64_t units = o_.units();
  std::vector<WeightSpec> specs{{"kernel", {in[0], units}, o_.kernel_initializer(), in[0], units}};
  try {
    numel(specs[0].shape);  // checked: a kernel too large to exist
  } catch (const std::invalid_argument& e) {
    fail(std::string("kernel: ") + e.what());
  }
  if (o_.use_bias()) specs.push_back({"bias", {units}, o_.bias_initializer(), in[0], units});
  return specs;
}

Variable Dense::kernel() const { return named_parameters().at(0).second; }
Variable Dense::bias() const { return o_.use_bias() ? named_parameters().at(1).second : Variable(); }

Variable Dense::forward(const Variable& x, bool) {
  if (const auto act = fused_activation(o_.activation())) return linear(x, kernel(), bias(), *act);
  return apply_activation(o_.activation(), linear(x, kernel(), bias()));
}

Variable Dense::forward_logits(const Variable& x, bool) { return linear(x, kernel(), bias()); }

Config Dense::hyper_parameters() const { return detail::write_fields(o_); }

}  // namespace nn
