#pragma once
// Activations by Keras name and as layers.
//
// Names (keras.activations): linear, relu, relu6, leaky_relu, elu, selu, gelu, sigmoid,
// hard_sigmoid, log_sigmoid, tanh, softplus, softsign, silu (swish), hard_silu (hard_swish), mish,
// exponential, softmax, log_softmax.
#include <optional>
#include <string>

#include "nn/backend/backend.hpp"
#include "nn/layers/layer.hpp"

namespace nn {

// Throws std::invalid_argument listing the known names.
Variable apply_activation(const std::string& activation, const Variable& x);
void check_activation(const std::string& activation);
// The kernel epilogue that computes `activation` inside a dense or convolution kernel's own pass
// (linear, relu, sigmoid, tanh), or nothing for the others, which run as a separate op.
std::optional<Epilogue> fused_activation(const std::string& activation);

class ActivationOptions {
 public:
  ActivationOptions(std::string activation) : activation_(std::move(activation)) {}  // NOLINT
  NN_ARG(std::string, activation);
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("activation", activation_);
  }
  NN_LAYER_ARGS;
};

// Any activation by name, as a layer (Keras's Activation).
class Activation : public Layer {
 public:
  explicit Activation(ActivationOptions options);
  explicit Activation(std::string activation, std::string name = "")
      : Activation(ActivationOptions(std::move(activation)).name(std::move(name))) {}
  std::string type() const override { return "Activation"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }
  const std::string& activation() const { return activation_; }
  bool ends_with_softmax() const override { return activation_ == "softmax"; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool) override { return x; }
  Config hyper_parameters() const override;

 private:
  std::string activation_;
};

class ReLUOptions {
 public:
  NN_ARG(std::optional<double>, max_value);  // clip the output at this value (6: relu6)
  NN_ARG(double, negative_slope) = 0.0;      // leaky below zero
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("max_value", max_value_);
    f("negative_slope", negative_slope_);
  }
  NN_LAYER_ARGS;
};

// Keras's ReLU layer: max(x, 0) (or negative_slope * x below 0), optionally capped at max_value.
class ReLU : public Layer {
 public:
  explicit ReLU(ReLUOptions options = {});
  explicit ReLU(std::string name) : ReLU(ReLUOptions().name(std::move(name))) {}
  std::string type() const override { return "ReLU"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  ReLUOptions o_;
};

class LeakyReLUOptions {
 public:
  NN_ARG(double, negative_slope) = 0.3;  // Keras's default for the layer
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("negative_slope", negative_slope_);
  }
  NN_LAYER_ARGS;
};

class LeakyReLU : public Layer {
 public:
  explicit LeakyReLU(LeakyReLUOptions options = {});
  explicit LeakyReLU(double negative_slope) : LeakyReLU(LeakyReLUOptions().negative_slope(negative_slope)) {}
  std::string type() const override { return "LeakyReLU"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  LeakyReLUOptions o_;
};

class ELUOptions {
 public:
  NN_ARG(double, alpha) = 1.0;
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("alpha", alpha_);
  }
  NN_LAYER_ARGS;
};

class ELU : public Layer {
 public:
  explicit ELU(ELUOptions options = {});
  std::string type() const override { return "ELU"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  ELUOptions o_;
};

class SoftmaxOptions {
 public:
  template <class F>
  void fields(F&&) {}  // none but the base-layer arguments
  NN_LAYER_ARGS;
};

// Softmax over the last axis. Losses that see a Softmax output with from_logits=false use the
// logits before it (like Keras), so training stays stable.
class Softmax : public Layer {
 public:
  explicit Softmax(SoftmaxOptions options = {}) : Layer("softmax", options.layer_args()) {}
  explicit Softmax(std::string name) : Softmax(SoftmaxOptions().name(std::move(name))) {}
  std::string type() const override { return "Softmax"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }
  bool ends_with_softmax() const override { return true; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool) override { return x; }
};

}  // namespace nn
