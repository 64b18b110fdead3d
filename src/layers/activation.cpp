#include "nn/layers/activation.hpp"

#include <stdexcept>

#include "nn/ops/activation.hpp"
#include "nn/ops/softmax.hpp"

namespace nn {

void check_activation(const std::string& a) {
  if (a != "linear" && a != "relu" && a != "sigmoid" && a != "tanh" && a != "softmax")
    throw std::invalid_argument("unknown activation '" + a +
                                "' (expected linear, relu, sigmoid, tanh or softmax)");
}

Variable apply_activation(const std::string& a, const Variable& x) {
  if (a == "linear") return x;
  if (a == "relu") return relu(x);
  if (a == "sigmoid") return sigmoid(x);
  if (a == "tanh") return tanh(x);
  if (a == "softmax") return softmax(x);
  check_activation(a);
  return x;
}

Activation::Activation(std::string activation, std::string name)
    : Layer("activation", std::move(name)), activation_(std::move(activation)) {
  check_activation(activation_);
}

Variable Activation::forward(const Variable& x, bool) { return apply_activation(activation_, x); }
Variable ReLU::forward(const Variable& x, bool) { return relu(x); }
Variable Softmax::forward(const Variable& x, bool) { return softmax(x); }

}  // namespace nn
