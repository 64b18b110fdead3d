#pragma once
#include <string>

#include "nn/layers/layer.hpp"

namespace nn {

struct DenseOptions {
  std::string activation = "linear";
  bool use_bias = true;
  std::string kernel_initializer = "glorot_uniform";
  std::string bias_initializer = "zeros";
  std::string name;
};

// Fully connected: y = activation(x · kernel + bias); x: (N, in) -> (N, units).
// kernel: (in, units), bias: (units).
class Dense : public Layer {
 public:
  explicit Dense(int64_t units, const std::string& activation = "linear", std::string name = "");
  Dense(int64_t units, DenseOptions options);

  std::string type() const override { return "Dense"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<WeightSpec> weight_specs(const Shape& input_shape) const override;
  int64_t units() const { return units_; }
  const std::string& activation() const { return options_.activation; }
  Variable kernel() const;
  bool ends_with_softmax() const override { return options_.activation == "softmax"; }
  Variable bias() const;  // undefined without use_bias

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  int64_t units_;
  DenseOptions options_;
};

}  // namespace nn
