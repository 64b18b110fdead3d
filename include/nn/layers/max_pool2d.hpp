#pragma once
#include <optional>

#include "nn/layers/layer.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

class MaxPool2DOptions {
 public:
  MaxPool2DOptions(Size2 pool_size = 2) : pool_size_(pool_size) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(Size2, pool_size);
  NN_ARG(std::optional<Size2>, strides);  // default: the pool size, as in Keras
  NN_ARG(Padding, padding) = "valid";
  NN_LAYER_ARGS;
};

// Max pooling over channels-first input: (C, H, W) -> (C, OH, OW).
//   nn::MaxPool2D(2)   nn::MaxPool2D(nn::MaxPool2DOptions(3).strides(2).padding("same"))
class MaxPool2D : public Layer {
 public:
  explicit MaxPool2D(MaxPool2DOptions options = {});
  explicit MaxPool2D(Size2 pool_size) : MaxPool2D(MaxPool2DOptions(pool_size)) {}
  MaxPool2D(Size2 pool_size, std::optional<Size2> strides, const std::string& padding = "valid")
      : MaxPool2D(MaxPool2DOptions(pool_size).strides(strides).padding(padding)) {}

  std::string type() const override { return "MaxPool2D"; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  Size2 pool_, strides_;
  Padding padding_;
};

}  // namespace nn
