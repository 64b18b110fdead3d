#pragma once
#include "nn/layers/pooling2d.hpp"

namespace nn {

using MaxPool2DOptions = Pooling2DOptions;

// Max pooling over channels-first input: (C, H, W) -> (C, OH, OW).
//   nn::MaxPool2D(2)   nn::MaxPool2D(nn::MaxPool2DOptions(3).strides(2).padding("same"))
class MaxPool2D : public Pooling2D {
 public:
  explicit MaxPool2D(MaxPool2DOptions options = {}) : Pooling2D("MaxPool2D", "max_pooling2d", "max_pool2d", options) {}
  explicit MaxPool2D(Size2 pool_size) : MaxPool2D(MaxPool2DOptions(pool_size)) {}
  MaxPool2D(Size2 pool_size, std::optional<Size2> strides, const std::string& padding = "valid")
      : MaxPool2D(MaxPool2DOptions(pool_size).strides(strides).padding(padding)) {}

  std::string type() const override { return "MaxPool2D"; }

 protected:
  Variable forward(const Variable& x, bool training) override;
};

}  // namespace nn
