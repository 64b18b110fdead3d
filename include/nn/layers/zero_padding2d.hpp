#pragma once
// Keras's ZeroPadding2D for (N, C, H, W): rows of zeros above and below, columns left and right.
//   nn::ZeroPadding2D(nn::ZeroPadding2DOptions({1, 1, 2, 2}))   // top, bottom, left, right
#include "nn/layers/layer.hpp"

namespace nn {

class ZeroPadding2DOptions {
 public:
  ZeroPadding2DOptions(std::vector<int64_t> padding = {1, 1, 1, 1}) : padding_(std::move(padding)) {}  // NOLINT
  NN_ARG(std::vector<int64_t>, padding);  // {top, bottom, left, right}, each >= 0

 public:
  template <class F>
  void fields(F&& f) {
    f("padding", padding_);
  }
  NN_LAYER_ARGS;
};

class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(ZeroPadding2DOptions options = {});
  std::string type() const override { return "ZeroPadding2D"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  const std::vector<int64_t>& padding() const { return padding_; }

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  std::vector<int64_t> padding_;
};

}  // namespace nn
