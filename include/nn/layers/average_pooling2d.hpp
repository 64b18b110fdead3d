#pragma once
#include <optional>

#include "nn/layers/layer.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

class AveragePooling2DOptions {
 public:
  AveragePooling2DOptions(Size2 pool_size = 2) : pool_size_(pool_size) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(Size2, pool_size);
  NN_ARG(std::optional<Size2>, strides);  // default: the pool size, as in Keras
  NN_ARG(Padding, padding) = "valid";
  NN_LAYER_ARGS;
};

// Average pooling over channels-first input: (C, H, W) -> (C, OH, OW); with 'same' padding the
// border windows average only their cells inside the input, as Keras does.
//   nn::AveragePooling2D(2)   nn::AveragePooling2D(nn::AveragePooling2DOptions(3).strides(2).padding("same"))
class AveragePooling2D : public Layer {
 public:
  explicit AveragePooling2D(AveragePooling2DOptions options = {});
  explicit AveragePooling2D(Size2 pool_size) : AveragePooling2D(AveragePooling2DOptions(pool_size)) {}

  std::string type() const override { return "AveragePooling2D"; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  Size2 pool_, strides_;
  Padding padding_;
};

class GlobalAveragePooling2DOptions {
 public:
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
