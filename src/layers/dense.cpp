#include "nn/layers/dense.hpp"

#include <stdexcept>

#include "nn/layers/activation.hpp"
#include "nn/layers/initializers.hpp"
#include "nn/ops/matmul.hpp"

namespace nn {

Dense::Dense(int64_t units, const std::string& activation, std::string name)
    : Dense(units, DenseOptions{activation, true, "glorot_uniform", "zeros", std::move(name)}) {}

Dense::Dense(int64_t units, DenseOptions options)
    : Layer("dense", options.name), units_(units), options_(std::move(options)) {
  check_size(units_, "units");
  check_activation(options_.activation);
  if (!is_initializer(options_.kernel_initializer) || !is_initializer(options_.bias_initializer))
    fail("unknown initializer '" + options_.kernel_initializer + "' / '" + options_.bias_initializer + "'");
}

Shape Dense::compute_output_shape(const Shape& in) const {
  if (in.size() != 1) fail("expects (features,) inputs, got " + to_string(in) + " (add a Flatten first)");
  return {units_};
}

std::vector<WeightSpec> Dense::weight_specs(const Shape& in) const {
  compute_output_shape(in);
  std::vector<WeightSpec> specs{{"kernel", {in[0], units_}, options_.kernel_initializer, in[0], units_}};
  try {
    numel(specs[0].shape);  // checked: a kernel too large to exist
  } catch (const std::invalid_argument& e) {
    fail(std::string("kernel: ") + e.what());
  }
  if (options_.use_bias) specs.push_back({"bias", {units_}, options_.bias_initializer, in[0], units_});
  return specs;
}

Variable Dense::kernel() const { return named_parameters().at(0).second; }
Variable Dense::bias() const { return options_.use_bias ? named_parameters().at(1).second : Variable(); }

Variable Dense::forward(const Variable& x, bool) {
  return apply_activation(options_.activation, linear(x, kernel(), bias()));
}

Variable Dense::forward_logits(const Variable& x, bool) { return linear(x, kernel(), bias()); }

Config Dense::hyper_parameters() const {
  return {{"units", units_},
          {"activation", options_.activation},
          {"use_bias", options_.use_bias},
          {"kernel_initializer", options_.kernel_initializer},
          {"bias_initializer", options_.bias_initializer}};
}

}  // namespace nn
