#pragma once
#include <string>

#include "nn/layers/layer.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

class Conv2DOptions {
 public:
  Conv2DOptions(int64_t filters, Size2 kernel_size) : filters_(filters), kernel_size_(kernel_size) {}
  NN_ARG(int64_t, filters);
  NN_ARG(Size2, kernel_size);
  NN_ARG(Size2, strides) = 1;
  NN_ARG(Padding, padding) = "valid";
  NN_ARG(std::string, activation) = "linear";
  NN_ARG(bool, use_bias) = true;
  NN_ARG(AnyInitializer, kernel_initializer) = "glorot_uniform";
  NN_ARG(AnyInitializer, bias_initializer) = "zeros";
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("filters", filters_);
    f("kernel_size", kernel_size_);
    f("strides", strides_);
    f("padding", padding_);
    f("activation", activation_);
    f("use_bias", use_bias_);
    f("kernel_initializer", kernel_initializer_);
    f("bias_initializer", bias_initializer_);
  }
  NN_LAYER_ARGS;
};

// 2-d convolution over channels-first input: (C, H, W) -> (filters, OH, OW).
// kernel: (filters, C, kh, kw), bias: (filters).
//   nn::Conv2D(32, 5, "same", "relu")                 filters, kernel, padding, activation
//   nn::Conv2D(32, 3, 2, "same", "relu")              ... with strides, as Keras orders them
//   nn::Conv2D(nn::Conv2DOptions(32, {3, 5}).strides(2).padding("same").use_bias(false))
class Conv2D : public Layer {
 public:
  explicit Conv2D(Conv2DOptions options);
  Conv2D(int64_t filters, Size2 kernel_size, const std::string& padding = "valid",
         const std::string& activation = "linear", std::string name = "")
      : Conv2D(Conv2DOptions(filters, kernel_size)
                   .padding(padding)
                   .activation(activation)
                   .name(std::move(name))) {}
  Conv2D(int64_t filters, Size2 kernel_size, Size2 strides, const std::string& padding = "valid",
         const std::string& activation = "linear", std::string name = "")
      : Conv2D(Conv2DOptions(filters, kernel_size)
                   .strides(strides)
                   .padding(padding)
                   .activation(activation)
                   .name(std::move(name))) {}

  std::string type() const override { return "Conv2D"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<WeightSpec> weight_specs(const Shape& input_shape) const override;
  const Conv2DOptions& options() const { return o_; }
  Variable kernel() const;
  Variable bias() const;
  bool ends_with_softmax() const override { return o_.activation() == "softmax"; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Variable forward_logits(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  Conv2DOptions o_;
  std::shared_ptr<Conv2DPlanCache> plans_ = std::make_shared<Conv2DPlanCache>();
};

}  // namespace nn
