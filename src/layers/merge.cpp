#include "nn/layers/merge.hpp"

#include <fmt/format.h>

#include "layers/fields.hpp"
#include "nn/ops/arithmetic.hpp"
#include "nn/ops/shape_ops.hpp"

namespace nn {

namespace {
std::string shapes_text(const std::vector<Shape>& shapes) {
  std::string s;
  for (const Shape& x : shapes) s += (s.empty() ? "" : ", ") + to_string(x);
  return "[" + s + "]";
}
}  // namespace

Shape ElementwiseMerge::compute_output_shape(const Shape&) const { fail("takes a list of at least two inputs"); }
Variable ElementwiseMerge::forward(const Variable&, bool) { fail("takes a list of at least two inputs"); }

Shape ElementwiseMerge::list_output_shape(const std::vector<Shape>& shapes) const {
  if (shapes.size() < 2) fail(fmt::format("takes at least two inputs, got {}", shapes.size()));
  for (const Shape& s : shapes)
    if (s != shapes[0]) fail("inputs must have one shape, got " + shapes_text(shapes));
  return shapes[0];
}

Variable Add::forward_list(const std::vector<Variable>& xs, bool) {
  Variable y = add(xs[0], xs[1]);
  for (size_t i = 2; i < xs.size(); ++i) y = add(y, xs[i]);
  return y;
}

Variable Multiply::forward_list(const std::vector<Variable>& xs, bool) {
  Variable y = mul(xs[0], xs[1]);
  for (size_t i = 2; i < xs.size(); ++i) y = mul(y, xs[i]);
  return y;
}

Shape Subtract::list_output_shape(const std::vector<Shape>& shapes) const {
  if (shapes.size() != 2) fail(fmt::format("takes exactly two inputs, got {}", shapes.size()));
  return ElementwiseMerge::list_output_shape(shapes);
}

Variable Subtract::forward_list(const std::vector<Variable>& xs, bool) { return sub(xs[0], xs[1]); }

Concatenate::Concatenate(ConcatenateOptions options) : Layer("concatenate", options.layer_args()), axis_(options.axis()) {
  if (axis_ == 0) fail("axis 0 is the batch axis: concatenate along a feature axis", "Concatenate");
  if (axis_ < -9 || axis_ > 8) fail("axis " + std::to_string(axis_) + " is out of range", "Concatenate");
}

Shape Concatenate::compute_output_shape(const Shape&) const { fail("takes a list of at least two inputs"); }
Variable Concatenate::forward(const Variable&, bool) { fail("takes a list of at least two inputs"); }

Shape Concatenate::list_output_shape(const std::vector<Shape>& shapes) const {
  if (shapes.size() < 2) fail(fmt::format("takes at least two inputs, got {}", shapes.size()));
  const auto rank = static_cast<int64_t>(shapes[0].size());  // without the batch axis
  const int64_t a = axis_ < 0 ? axis_ + rank : axis_ - 1;   // among the feature axes
  if (a < 0 || a >= rank) fail(fmt::format("axis {} is out of range for inputs {}", axis_, shapes_text(shapes)));
  Shape out = shapes[0];
  out[static_cast<size_t>(a)] = 0;
  for (const Shape& s : shapes) {
    bool fits = static_cast<int64_t>(s.size()) == rank;
    for (int64_t d = 0; fits && d < rank; ++d) fits = d == a || s[static_cast<size_t>(d)] == shapes[0][static_cast<size_t>(d)];
    if (!fits) fail(fmt::format("inputs {} differ outside axis {}", shapes_text(shapes), axis_));
    out[static_cast<size_t>(a)] += s[static_cast<size_t>(a)];
  }
  return out;
}

Variable Concatenate::forward_list(const std::vector<Variable>& xs, bool) {
  const auto rank = static_cast<int64_t>(input_shape().size());
  return concatenate(xs, static_cast<int>(axis_ < 0 ? axis_ + rank + 1 : axis_));
}

Config Concatenate::hyper_parameters() const { return detail::write_fields(ConcatenateOptions(axis_)); }

}  // namespace nn
