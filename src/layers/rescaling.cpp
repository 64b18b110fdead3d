#include "nn/layers/rescaling.hpp"

#include <cmath>
#include <stdexcept>

#include "layers/fields.hpp"
#include "nn/ops/arithmetic.hpp"

namespace nn {

Rescaling::Rescaling(RescalingOptions options) : Layer("rescaling", options.layer_args()), o_(std::move(options)) {
  if (!std::isfinite(o_.scale()) || !std::isfinite(o_.offset())) fail("scale and offset must be finite", "Rescaling");
  for (const Shape* s : {&o_.scale_shape(), &o_.offset_shape()})
    for (int64_t d : *s) check_size(d, "an extent of scale_shape or offset_shape", "Rescaling");
}

Shape Rescaling::compute_output_shape(const Shape& in) const {
  for (const Shape* s : {&o_.scale_shape(), &o_.offset_shape()}) {
    if (s->empty()) continue;
    Shape out;
    try {
      out = broadcast_shapes(in, *s);
    } catch (const std::invalid_argument&) {
      fail("a weight of shape " + to_string(*s) + " does not broadcast to input " + to_string(in));
    }
    if (out != in) fail("a weight of shape " + to_string(*s) + " would change input " + to_string(in) + " to " + to_string(out));
  }
  return in;
}

std::vector<WeightSpec> Rescaling::weight_specs(const Shape& in) const {
  compute_output_shape(in);
  std::vector<WeightSpec> specs;
  if (!o_.scale_shape().empty()) specs.push_back({"scale", o_.scale_shape(), Constant(o_.scale()), 1, 1, false});
  if (!o_.offset_shape().empty()) specs.push_back({"offset", o_.offset_shape(), Constant(o_.offset()), 1, 1, false});
  return specs;
}

Variable Rescaling::scale() const { return weight("scale"); }
Variable Rescaling::offset() const { return weight("offset"); }

Variable Rescaling::forward(const Variable& x, bool) {
  Variable y = x;
  if (const Variable s = scale(); s.defined())
    y = mul(y, s);
  else if (o_.scale() != 1.0)
    y = nn::scale(y, static_cast<float>(o_.scale()));
  if (const Variable b = offset(); b.defined()) {
    y = add(y, b);
  } else if (o_.offset() != 0.0) {
    const Tensor c = Tensor::full({1}, static_cast<double>(o_.offset()), TensorOptions().dtype(y.value().dtype()).device(y.value().device()));
    y = add(y, Variable(c));
  }
  return y;
}

Config Rescaling::hyper_parameters() const { return detail::write_fields(o_); }

}  // namespace nn
