#pragma once
#include <string>

#include "nn/layers/layer.hpp"

namespace nn {

class DenseOptions {
 public:
  DenseOptions(int64_t units) : units_(units) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(int64_t, units);
  NN_ARG(std::string, activation) = "linear";
  NN_ARG(bool, use_bias) = true;
  NN_ARG(AnyInitializer, kernel_initializer) = "glorot_uniform";
  NN_ARG(AnyInitializer, bias_initializer) = "zeros";
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("units", units_);
    f("activation", activation_);
    f("use_bias", use_bias_);
    f("kernel_initializer", kernel_initializer_);
    f("bias_initializer", bias_initializer_);
  }
  NN_LAYER_ARGS;
};

// Fully connected: y = activation(x · kernel + bias); x: (N, in) -> (N, units).
// kernel: (in, units), bias: (units).
//   nn::Dense(64, "relu")
//   nn::Dense(nn::DenseOptions(10).activation("softmax").kernel_initializer("zeros"))
class Dense : public Layer {
 public:
  explicit Dense(DenseOptions options);
  Dense(int64_t units, const std::string& activation, std::string name = "")
      : Dense(DenseOptions(units).activation(activation).name(std::move(name))) {}

  std::string type() const override { return "Dense"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<WeightSpec> weight_specs(const Shape& input_shape) const override;
  const DenseOptions& options() const { return o_; }
  int64_t units() const { return o_.units(); }
  const std::string& activation() const { return o_.activation(); }
  Variable kernel() const;
  Variable bias() const;  // undefined without use_bias
  bool ends_with_softmax() const override { return o_.activation() == "softmax"; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  DenseOptions o_;
};

}  // namespace nn
