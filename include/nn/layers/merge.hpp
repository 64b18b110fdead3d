#pragma once
// Keras's merge layers: layers of several inputs, for functional models (nn/model/model.hpp).
//   auto sum = nn::layer<nn::Add>()({a, b});                  // a + b, same shapes
//   auto diff = nn::layer<nn::Subtract>()({a, b});            // a - b
//   auto joined = nn::layer<nn::Concatenate>(1)({x, y});      // along the channels of (N, C, H, W)
#include <string>
#include <vector>

#include "nn/layers/layer.hpp"

namespace nn {

class MergeOptions {
 public:
  template <class F>
  void fields(F&&) {}  // none but the base-layer arguments
  NN_LAYER_ARGS;
};

// The elementwise merges: inputs of one shape, at least two.
class ElementwiseMerge : public Layer {
 public:
  bool takes_list() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  ElementwiseMerge(const std::string& prefix, const MergeOptions& options) : Layer(prefix, options.layer_args()) {}
  Shape list_output_shape(const std::vector<Shape>& input_shapes) const override;
  Variable forward(const Variable& x, bool training) override;
};

// The sum of its inputs.
class Add : public ElementwiseMerge {
 public:
  explicit Add(MergeOptions options = {}) : ElementwiseMerge("add", options) {}
  std::string type() const override { return "Add"; }

 protected:
  Variable forward_list(const std::vector<Variable>& xs, bool training) override;
};

// The elementwise product of its inputs.
class Multiply : public ElementwiseMerge {
 public:
  explicit Multiply(MergeOptions options = {}) : ElementwiseMerge("multiply", options) {}
  std::string type() const override { return "Multiply"; }

 protected:
  Variable forward_list(const std::vector<Variable>& xs, bool training) override;
};

// Its first input less its second (exactly two).
class Subtract : public ElementwiseMerge {
 public:
  explicit Subtract(MergeOptions options = {}) : ElementwiseMerge("subtract", options) {}
  std::string type() const override { return "Subtract"; }

 protected:
  Shape list_output_shape(const std::vector<Shape>& input_shapes) const override;
  Variable forward_list(const std::vector<Variable>& xs, bool training) override;
};

class ConcatenateOptions {
 public:
  ConcatenateOptions(int64_t axis = -1) : axis_(axis) {}  // NOLINT(google-explicit-constructor)
  // Counted with the batch axis as 0, as Keras's: -1 is the last, 1 the channels of (N, C, H, W).
  NN_ARG(int64_t, axis) = -1;

 public:
  template <class F>
  void fields(F&& f) {
    f("axis", axis_);
  }
  NN_LAYER_ARGS;
};

// Its inputs joined along one axis; every other extent must agree.
class Concatenate : public Layer {
 public:
  explicit Concatenate(ConcatenateOptions options = {});
  std::string type() const override { return "Concatenate"; }
  bool takes_list() const override { return true; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  int64_t axis() const { return axis_; }

 protected:
  Shape list_output_shape(const std::vector<Shape>& input_shapes) const override;
  Variable forward(const Variable& x, bool training) override;
  Variable forward_list(const std::vector<Variable>& xs, bool training) override;
  Config hyper_parameters() const override;

 private:
  int64_t axis_;
};

}  // namespace nn
