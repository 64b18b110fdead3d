#include "nn/layers/reshape.hpp"

#include "layers/fields.hpp"

#include <algorithm>
#include <stdexcept>

#include "nn/ops/shape_ops.hpp"

namespace nn {

Reshape::Reshape(ReshapeOptions options)
    : Layer("reshape", options.layer_args()), target_(options.target_shape()) {
  if (target_.empty() || target_.size() > 8)
    fail("target_shape must have 1 to 8 extents, got " + to_string(target_));
  int free = 0;
  for (int64_t d : target_) {
    if (d == -1)
      ++free;
    else
      check_size(d, "target_shape extent");
  }
  if (free > 1) fail("target_shape " + to_string(target_) + " has more than one -1");
}

Shape Reshape::compute_output_shape(const Shape& in) const {
  int64_t n = 0;
  try {
    n = numel(in);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  Shape out = target_;
  int64_t known = 1;
  try {
    for (int64_t d : out)
      if (d != -1) known = checked_mul(known, d, "target_shape");
  } catch (const std::invalid_argument&) {
    fail("cannot reshape inputs of shape " + to_string(in) + " to " + to_string(target_) + ": too many elements");
  }
  auto free = std::find(out.begin(), out.end(), int64_t{-1});
  if (free != out.end() && known > 0 && n % known == 0) *free = n / known;
  if (free == out.end() ? numel(out) != n : (known == 0 || n % known != 0))
    fail("cannot reshape inputs of shape " + to_string(in) + " to " + to_string(target_));
  return out;
}

Variable Reshape::forward(const Variable& x, bool) {
  Shape s{x.shape()[0]};
  const Shape o = output_shape();
  s.insert(s.end(), o.begin(), o.end());
  return reshape(x, s);
}

Permute::Permute(PermuteOptions options) : Layer("permute", options.layer_args()), dims_(options.dims()) {
  std::vector<int64_t> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int64_t>(i) + 1)
      fail("dims must be a permutation of 1.." + std::to_string(dims_.size()) +
           " (the batch axis is 0 and stays)");
  if (dims_.empty()) fail("dims is empty");
}

Shape Permute::compute_output_shape(const Shape& in) const {
  if (in.size() != dims_.size())
    fail("dims has " + std::to_string(dims_.size()) + " axes, the input " + to_string(in) + " has " +
         std::to_string(in.size()));
  Shape out;
  for (int64_t d : dims_) out.push_back(in[static_cast<size_t>(d - 1)]);
  return out;
}

Variable Permute::forward(const Variable& x, bool) {
  std::vector<int> axes{0};
  for (int64_t d : dims_) axes.push_back(static_cast<int>(d));
  return permute(x, axes);
}

InputLayer::InputLayer(InputLayerOptions options)
    : Layer("input_layer", LayerArgs{options.name(), options.shape(), true}) {
  if (options.shape().empty())
    fail("the input shape needs at least one extent (the batch dimension is not part of it)");
  for (int64_t d : options.shape()) check_size(d, "input extent");
}

std::shared_ptr<InputLayer> Input(InputLayerOptions options) { return std::make_shared<InputLayer>(std::move(options)); }

Config Reshape::hyper_parameters() const { return detail::write_fields(ReshapeOptions(target_)); }
Config Permute::hyper_parameters() const { return detail::write_fields(PermuteOptions(dims_)); }

}  // namespace nn
