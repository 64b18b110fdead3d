#pragma once
#include "nn/layers/layer.hpp"

namespace nn {

class FlattenOptions {
 public:
  template <class F>
  void fields(F&&) {}  // none but the base-layer arguments
  NN_LAYER_ARGS;
};

// (d1, d2, ...) -> (d1*d2*...)
class Flatten : public Layer {
 public:
  explicit Flatten(FlattenOptions options = {}) : Layer("flatten", options.layer_args()) {}
  explicit Flatten(std::string name) : Flatten(FlattenOptions().name(std::move(name))) {}
  std::string type() const override { return "Flatten"; }
  Shape compute_output_shape(const Shape& s) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
};

}  // namespace nn
