#pragma once
// Keras's Rescaling: x * scale + offset (a fixed preprocessing step; nothing is learned).
//   nn::Rescaling(nn::RescalingOptions(1.0 / 255))                   // pixels to [0, 1]
//   nn::Rescaling(nn::RescalingOptions().scale_shape({3, 1, 1}))      // a scale per channel
// Scalar scale and offset are options. With scale_shape or offset_shape, scale or offset is a
// tensor of that shape (broadcast NumPy-style against the input without its batch axis),
// held as a non-trainable weight (initialised to the scalar, set by the model's owner, and saved
// with the model); ONNX import uses it for arithmetic with a constant operand.
#include "nn/layers/layer.hpp"

namespace nn {

class RescalingOptions {
 public:
  RescalingOptions(double scale = 1.0, double offset = 0.0) : scale_(scale), offset_(offset) {}  // NOLINT
  NN_ARG(double, scale) = 1.0;
  NN_ARG(double, offset) = 0.0;
  NN_ARG(Shape, scale_shape);   // empty: the scalar scale
  NN_ARG(Shape, offset_shape);  // empty: the scalar offset

 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("scale", scale_);
    f("offset", offset_);
    f("scale_shape", scale_shape_);
    f("offset_shape", offset_shape_);
  }
  NN_LAYER_ARGS;
};

class Rescaling : public Layer {
 public:
  explicit Rescaling(RescalingOptions options = {});
  std::string type() const override { return "Rescaling"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<WeightSpec> weight_specs(const Shape& input_shape) const override;
  const RescalingOptions& options() const { return o_; }
  // The tensor weights (undefined where the option is a scalar).
  Variable scale() const;
  Variable offset() const;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  RescalingOptions o_;
};

}  // namespace nn
