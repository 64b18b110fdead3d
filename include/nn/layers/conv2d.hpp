#pragma once
#include <string>

#include "nn/layers/layer.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

struct Conv2DOptions {
  int64_t strides_h = 1, strides_w = 1;
  Padding padding = Padding::valid();
  std::string activation = "linear";
  bool use_bias = true;
  std::string kernel_initializer = "glorot_uniform";
  std::string bias_initializer = "zeros";
  std::string name;
};

// 2-d convolution over channels-first input: (C, H, W) -> (filters, OH, OW).
// kernel: (filters, C, kh, kw), bias: (filters).
class Conv2D : public Layer {
 public:
  Conv2D(int64_t filters, int64_t kernel_size, const std::string& padding = "valid",
         const std::string& activation = "linear", std::string name = "");
  Conv2D(int64_t filters, int64_t kernel_h, int64_t kernel_w, Conv2DOptions options);

  std::string type() const override { return "Conv2D"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<WeightSpec> weight_specs(const Shape& input_shape) const override;
  Variable kernel() const;
  bool ends_with_softmax() const override { return options_.activation == "softmax"; }
  Variable bias() const;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  int64_t filters_, kernel_h_, kernel_w_;
  Conv2DOptions options_;
};

}  // namespace nn
