#pragma once
// Activations by Keras name ("linear", "relu", "sigmoid", "tanh", "softmax") and as layers.
#include <string>

#include "nn/layers/layer.hpp"

namespace nn {

// Throws std::invalid_argument listing the known names.
Variable apply_activation(const std::string& activation, const Variable& x);
void check_activation(const std::string& activation);

// Any activation by name, as a layer (Keras's Activation).
class Activation : public Layer {
 public:
  explicit Activation(std::string activation, std::string name = "");
  std::string type() const override { return "Activation"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }
  const std::string& activation() const { return activation_; }
  bool ends_with_softmax() const override { return activation_ == "softmax"; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool) override { return x; }
  Config hyper_parameters() const override { return {{"activation", activation_}}; }

 private:
  std::string activation_;
};

class ReLU : public Layer {
 public:
  explicit ReLU(std::string name = "") : Layer("re_lu", std::move(name)) {}
  std::string type() const override { return "ReLU"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }

 protected:
  Variable forward(const Variable& x, bool training) override;
};

// Softmax over the last axis. Losses that see a Softmax output with from_logits=false use the
// logits before it (like Keras), so training stays stable.
class Softmax : public Layer {
 public:
  explicit Softmax(std::string name = "") : Layer("softmax", std::move(name)) {}
  std::string type() const override { return "Softmax"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }
  bool ends_with_softmax() const override { return true; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool) override { return x; }
};

}  // namespace nn
