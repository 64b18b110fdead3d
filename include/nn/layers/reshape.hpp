#pragma once
// Keras's Reshape, Permute and Input.
#include <vector>

#include "nn/layers/layer.hpp"

namespace nn {

class SymbolicTensor;
namespace detail {
struct SymbolicNode;
}

class ReshapeOptions {
 public:
  ReshapeOptions(Shape target_shape) : target_shape_(std::move(target_shape)) {}  // NOLINT
  NN_ARG(Shape, target_shape);  // without the batch dimension; one extent may be -1
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("target_shape", target_shape_);
  }
  NN_LAYER_ARGS;
};

// (N, *input_shape) -> (N, *target_shape), same elements in the same order.
//   nn::Reshape({1, 28, 28})   nn::Reshape({-1})
class Reshape : public Layer {
 public:
  explicit Reshape(ReshapeOptions options);
  std::string type() const override { return "Reshape"; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  Shape target_;
};

class PermuteOptions {
 public:
  PermuteOptions(std::vector<int64_t> dims) : dims_(std::move(dims)) {}  // NOLINT
  NN_ARG(std::vector<int64_t>, dims);  // a permutation of 1..rank (the batch axis is 0 and stays)
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("dims", dims_);
  }
  NN_LAYER_ARGS;
};

// Reorders the non-batch axes, as Keras's Permute: Permute({2, 1}) swaps the two axes of
// (N, A, B) inputs, giving (N, B, A); Permute({2, 3, 1}) turns (N, C, H, W) into (N, H, W, C).
class Permute : public Layer {
 public:
  explicit Permute(PermuteOptions options);
  std::string type() const override { return "Permute"; }
  Shape compute_output_shape(const Shape& input_shape) const override;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  std::vector<int64_t> dims_;
};

// The input of a model (Keras's keras.Input / InputLayer): added first to a Sequential, it sets
// the input shape, so the model is built as layers are added; in a functional model it is the
// symbolic tensor that layers are called on (nn/model/symbolic.hpp).
//   model.add(nn::Input({1, 28, 28}));
//   auto inputs = nn::Input({1, 28, 28});  auto x = nn::layer<nn::Flatten>()(inputs);
class InputLayerOptions {
 public:
  InputLayerOptions(Shape shape) : shape_(std::move(shape)) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(Shape, shape);  // without the batch dimension
  NN_ARG(std::string, name);
};

class InputLayer : public Layer {
 public:
  explicit InputLayer(InputLayerOptions options);
  InputLayer(Shape shape, std::string name) : InputLayer(InputLayerOptions(std::move(shape)).name(std::move(name))) {}
  std::string type() const override { return "InputLayer"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }


 protected:
  Variable forward(const Variable& x, bool) override { return x; }

 private:
  friend class SymbolicTensor;
  mutable std::weak_ptr<const detail::SymbolicNode> symbolic_;  // its symbolic tensor, while one lives
};

std::shared_ptr<InputLayer> Input(InputLayerOptions options);
inline std::shared_ptr<InputLayer> Input(Shape shape, std::string name = "") {
  return Input(InputLayerOptions(std::move(shape)).name(std::move(name)));
}

}  // namespace nn
