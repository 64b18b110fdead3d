#include "nn/layers/zero_padding2d.hpp"

#include <fmt/format.h>

#include "layers/fields.hpp"
#include "nn/ops/shape_ops.hpp"

namespace nn {

ZeroPadding2D::ZeroPadding2D(ZeroPadding2DOptions options)
    : Layer("zero_padding2d", options.layer_args()), padding_(options.padding()) {
  if (padding_.size() != 4)
    fail(fmt::format("padding takes 4 amounts (top, bottom, left, right), got {}", padding_.size()), "ZeroPadding2D");
  for (int64_t p : padding_)
    if (p < 0 || p > (int64_t{1} << 30)) fail(fmt::format("padding {} is out of range", p), "ZeroPadding2D");
}

Shape ZeroPadding2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (C, H, W) inputs, got " + to_string(in));
  return {in[0], in[1] + padding_[0] + padding_[1], in[2] + padding_[2] + padding_[3]};
}

Variable ZeroPadding2D::forward(const Variable& x, bool) {
  // x: (N, C, H, W) -> zeros around it along H (axis 2), then along W (axis 3).
  const TensorOptions like = TensorOptions().dtype(x.value().dtype()).device(x.value().device());
  Variable y = x;
  for (int axis : {2, 3}) {
    const int64_t before = padding_[static_cast<size_t>(2 * (axis - 2))], after = padding_[static_cast<size_t>(2 * (axis - 2) + 1)];
    if (before == 0 && after == 0) continue;
    std::vector<Variable> parts;
    Shape s = y.shape();
    if (before > 0) {
      s[static_cast<size_t>(axis)] = before;
      parts.emplace_back(Tensor::zeros(s, like));
    }
    parts.push_back(y);
    if (after > 0) {
      s[static_cast<size_t>(axis)] = after;
      parts.emplace_back(Tensor::zeros(s, like));
    }
    y = parts.size() == 1 ? parts[0] : concatenate(parts, axis);
  }
  return y;
}

Config ZeroPadding2D::hyper_parameters() const { return detail::write_fields(ZeroPadding2DOptions(padding_)); }

}  // namespace nn
