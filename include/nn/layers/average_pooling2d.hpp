#pragma once
#include "nn/layers/pooling2d.hpp"

namespace nn {

using AveragePooling2DOptions = Pooling2DOptions;

// Average pooling over channels-first input: (C, H, W) -> (C, OH, OW); with 'same' padding the
// border windows average only their cells inside the input, as Keras does.
//   nn::AveragePooling2D(2)   nn::AveragePooling2D(nn::AveragePooling2DOptions(3).strides(2).padding("same"))
class AveragePooling2D : public Pooling2D {
 public:
  explicit AveragePooling2D(AveragePooling2DOptions options = {})
      : Pooling2D("AveragePooling2D", "average_pooling2d", "avg_pool2d", options) {}
  explicit AveragePooling2D(Size2 pool_size) : AveragePooling2D(AveragePooling2DOptions(pool_size)) {}

  std::string type() const override { return "AveragePooling2D"; }

 protected:
  Variable forward(const Variable& x, bool training) override;
};

class GlobalAveragePooling2DOptions {
 public:
  template <class F>
  void fields(F&&) {}  // none but the base-layer arguments
  NN_LAYER_ARGS;
};

// The mean of each channel over the image: (C, H, W) -> (C).
class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(GlobalAveragePooling2DOptions options = {})
      : Layer("global_average_pooling2d", options.layer_args()) {}
  std::string type() const override { return "GlobalAveragePooling2D"; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
};

}  // namespace nn
