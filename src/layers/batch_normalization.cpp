#include "nn/layers/batch_normalization.hpp"

#include "layers/fields.hpp"

#include <cmath>
#include <string>

#include "nn/backend/backend.hpp"
#include "nn/ops/batch_norm.hpp"

namespace nn {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer("batch_normalization", options.layer_args()), o_(std::move(options)) {
  if (!(o_.momentum() >= 0.0f && o_.momentum() <= 1.0f))
    fail("momentum must be in [0, 1], got " + std::to_string(o_.momentum()));
  if (!(o_.epsilon() > 0.0f) || !std::isfinite(o_.epsilon()))
    fail("epsilon must be a finite number > 0, got " + std::to_string(o_.epsilon()));
  if (o_.axis() == 0) fail("axis 0 is the batch axis; give the channel axis (1 for (N, C, H, W) and (N, C))");
}

int64_t BatchNormalization::channels(const Shape& in) const {
  const int rank = static_cast<int>(in.size()) + 1;  // with the batch axis
  const int axis = o_.axis() < 0 ? o_.axis() + rank : o_.axis();
  if (axis < 1 || axis >= rank) {
    Shape batched{-1};
    batched.insert(batched.end(), in.begin(), in.end());
    fail("axis " + std::to_string(o_.axis()) + " is not a non-batch axis of input " + to_string(batched));
  }
  return in[static_cast<size_t>(axis - 1)];
}

Shape BatchNormalization::compute_output_shape(const Shape& in) const {
  channels(in);  // validates the axis
  return in;
}

std::vector<WeightSpec> BatchNormalization::weight_specs(const Shape& in) const {
  const int64_t c = channels(in);
  std::vector<WeightSpec> specs;
  if (o_.scale()) specs.push_back({"gamma", {c}, o_.gamma_initializer(), c, c});
  if (o_.center()) specs.push_back({"beta", {c}, o_.beta_initializer(), c, c});
  specs.push_back({"moving_mean", {c}, o_.moving_mean_initializer(), c, c, false});
  specs.push_back({"moving_variance", {c}, o_.moving_variance_initializer(), c, c, false});
  return specs;
}

Variable BatchNormalization::gamma() const { return weight("gamma"); }
Variable BatchNormalization::beta() const { return weight("beta"); }
Tensor BatchNormalization::moving_mean() const { return weight("moving_mean").value(); }
Tensor BatchNormalization::moving_variance() const { return weight("moving_variance").value(); }

Variable BatchNormalization::forward(const Variable& x, bool training) {
  Tensor moving_mean = this->moving_mean(), moving_var = moving_variance();
  if (!training || !trainable())
    return batch_norm_inference(x, gamma(), beta(), moving_mean, moving_var, o_.axis(), o_.epsilon());
  Tensor mean, var;
  Variable y = batch_norm(x, gamma(), beta(), o_.axis(), o_.epsilon(), &mean, &var);
  // moving = momentum * moving + (1 - momentum) * batch, in place on the weights' device.
  Backend& b = backend_for(moving_mean.device());
  const int64_t n = moving_mean.numel();
  for (auto [moving, batch] : {std::pair<Tensor*, Tensor*>{&moving_mean, &mean}, {&moving_var, &var}}) {
    b.scale(n, o_.momentum(), moving->data_ptr(), moving->data_ptr());
    b.axpy(n, 1.0f - o_.momentum(), batch->data_ptr(), moving->data_ptr());
  }
  return y;
}

Config BatchNormalization::hyper_parameters() const { return detail::write_fields(o_); }

}  // namespace nn
