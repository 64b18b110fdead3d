#include "nn/layers/activation.hpp"

#include "layers/fields.hpp"

#include <cfloat>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>

#include "nn/ops/activation.hpp"
#include "nn/ops/reduction.hpp"
#include "nn/ops/softmax.hpp"

namespace nn {
namespace {

const std::map<std::string, std::function<Variable(const Variable&)>>& activations() {
  static const std::map<std::string, std::function<Variable(const Variable&)>> table{
      {"linear", [](const Variable& x) { return x; }},
      {"relu", [](const Variable& x) { return relu(x); }},
      {"relu6", [](const Variable& x) { return relu6(x); }},
      {"leaky_relu", [](const Variable& x) { return leaky_relu(x); }},
      {"elu", [](const Variable& x) { return elu(x); }},
      {"selu", [](const Variable& x) { return selu(x); }},
      {"gelu", [](const Variable& x) { return gelu(x); }},
      {"sigmoid", [](const Variable& x) { return sigmoid(x); }},
      {"hard_sigmoid", [](const Variable& x) { return hard_sigmoid(x); }},
      {"log_sigmoid", [](const Variable& x) { return log_sigmoid(x); }},
      {"tanh", [](const Variable& x) { return tanh(x); }},
      {"softplus", [](const Variable& x) { return softplus(x); }},
      {"softsign", [](const Variable& x) { return softsign(x); }},
      {"silu", [](const Variable& x) { return silu(x); }},
      {"swish", [](const Variable& x) { return silu(x); }},
      {"hard_silu", [](const Variable& x) { return hard_silu(x); }},
      {"hard_swish", [](const Variable& x) { return hard_silu(x); }},
      {"mish", [](const Variable& x) { return mish(x); }},
      {"exponential", [](const Variable& x) { return exp(x); }},
      {"softmax", [](const Variable& x) { return softmax(x); }},
      {"log_softmax", [](const Variable& x) { return log_softmax(x); }},
  };
  return table;
}

}  // namespace

void check_activation(const std::string& a) {
  if (activations().count(a)) return;
  std::string known;
  for (const auto& [name, f] : activations()) known += (known.empty() ? "" : ", ") + name;
  throw std::invalid_argument("unknown activation '" + a + "' (expected one of: " + known + ")");
}

std::optional<Epilogue> fused_activation(const std::string& a) {
  if (a == "linear") return Epilogue::None;
  if (a == "relu") return Epilogue::Relu;
  if (a == "sigmoid") return Epilogue::Sigmoid;
  if (a == "tanh") return Epilogue::Tanh;
  return std::nullopt;
}

Variable apply_activation(const std::string& a, const Variable& x) {
  check_activation(a);
  return activations().at(a)(x);
}

Activation::Activation(ActivationOptions options)
    : Layer("activation", options.layer_args()), activation_(options.activation()) {
  try {
    check_activation(activation_);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Variable Activation::forward(const Variable& x, bool) { return apply_activation(activation_, x); }

ReLU::ReLU(ReLUOptions options) : Layer("re_lu", options.layer_args()), o_(std::move(options)) {
  if (o_.max_value() && !(*o_.max_value() >= 0.0)) fail("max_value must be >= 0");
  if (!std::isfinite(o_.negative_slope()) || o_.negative_slope() < 0.0) fail("negative_slope must be >= 0");
}

Variable ReLU::forward(const Variable& x, bool) {
  if (o_.max_value() && *o_.max_value() == 6.0 && o_.negative_slope() == 0.0) return relu6(x);
  Variable y = o_.negative_slope() == 0.0 ? relu(x) : leaky_relu(x, static_cast<float>(o_.negative_slope()));
  if (o_.max_value()) y = clip(y, -FLT_MAX, static_cast<float>(*o_.max_value()));
  return y;
}

Config ReLU::hyper_parameters() const { return detail::write_fields(o_); }
Config LeakyReLU::hyper_parameters() const { return detail::write_fields(o_); }
Config ELU::hyper_parameters() const { return detail::write_fields(o_); }
Config Activation::hyper_parameters() const { return detail::write_fields(ActivationOptions(activation_)); }

LeakyReLU::LeakyReLU(LeakyReLUOptions options)
    : Layer("leaky_re_lu", options.layer_args()), o_(std::move(options)) {
  if (!std::isfinite(o_.negative_slope())) fail("negative_slope must be finite");
}
Variable LeakyReLU::forward(const Variable& x, bool) {
  return leaky_relu(x, static_cast<float>(o_.negative_slope()));
}

ELU::ELU(ELUOptions options) : Layer("elu", options.layer_args()), o_(std::move(options)) {
  if (!std::isfinite(o_.alpha())) fail("alpha must be finite");
}
Variable ELU::forward(const Variable& x, bool) { return elu(x, static_cast<float>(o_.alpha())); }

Variable Softmax::forward(const Variable& x, bool) { return softmax(x); }

}  // namespace nn
