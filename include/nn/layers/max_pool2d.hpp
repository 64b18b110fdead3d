#pragma once
#include "nn/layers/layer.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

// Max pooling over channels-first input: (C, H, W) -> (C, OH, OW). strides default to the pool
// size, as in Keras.
class MaxPool2D : public Layer {
 public:
  explicit MaxPool2D(int64_t pool_size = 2, int64_t strides = 0, const std::string& padding = "valid",
                     std::string name = "");
  MaxPool2D(int64_t pool_h, int64_t pool_w, int64_t strides_h, int64_t strides_w, Padding padding,
            std::string name = "");

  std::string type() const override { return "MaxPool2D"; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  int64_t pool_h_, pool_w_, strides_h_, strides_w_;
  Padding padding_;
};

}  // namespace nn
