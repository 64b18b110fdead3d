#pragma once
// What max and average pooling share: the window, the strides, the padding, the output shape.
#include <optional>
#include <string>

#include "nn/layers/layer.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

class Pooling2DOptions {
 public:
  Pooling2DOptions(Size2 pool_size = 2) : pool_size_(pool_size) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(Size2, pool_size);
  NN_ARG(std::optional<Size2>, strides);  // default: the pool size, as in Keras
  NN_ARG(Padding, padding) = "valid";
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("pool_size", pool_size_);
    f("strides", strides_);
    f("padding", padding_);
  }
  NN_LAYER_ARGS;
};

// A pooling layer over channels-first input: (C, H, W) -> (C, OH, OW).
class Pooling2D : public Layer {
 public:
  Shape compute_output_shape(const Shape& input_shape) const override;
  const Size2& pool_size() const { return pool_; }
  const Size2& strides() const { return strides_; }
  const Padding& padding() const { return padding_; }

 protected:
  // type: the class ("MaxPool2D", for errors raised while it is built); default_name: Keras's
  // layer name ("max_pooling2d"); op: the op, for errors ("max_pool2d").
  Pooling2D(const char* type, const std::string& default_name, const char* op, const Pooling2DOptions& options);
  Config hyper_parameters() const override;

  Size2 pool_, strides_;
  Padding padding_;
  const char* op_;
};

}  // namespace nn
