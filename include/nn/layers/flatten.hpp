#pragma once
#include "nn/layers/layer.hpp"

namespace nn {

// (d1, d2, ...) -> (d1*d2*...)
class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = "") : Layer("flatten", std::move(name)) {}
  std::string type() const override { return "Flatten"; }
  Shape compute_output_shape(const Shape& s) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
};

}  // namespace nn
