#pragma once
// Symbolic tensors: Keras's functional API. An Input is a symbolic tensor; calling a layer on
// symbolic tensors builds the layer for their shapes and gives the symbolic tensor of its output;
// nn::Model(inputs, outputs) (nn/model/model.hpp) holds the graph between them.
//
//   auto inputs = nn::Input({784});                                  // (N, 784)
//   auto dense = nn::layer<nn::Dense>(64, "relu");
//   nn::SymbolicTensor h = dense(inputs);                            // (N, 64)
//   auto skip = nn::layer<nn::Add>()({h, nn::layer<nn::Dense>(64)(h)});
//   nn::Model model(inputs, nn::layer<nn::Dense>(10, "softmax")(skip));
//
// A layer called twice is one layer with one set of weights (Keras's shared layers); it must see
// the same input shapes each time.
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/layers/layer.hpp"
#include "nn/layers/reshape.hpp"

namespace nn {

namespace detail {
struct SymbolicNode;
}

class SymbolicTensor {
 public:
  SymbolicTensor() = default;
  // An Input is its own symbolic tensor (the same one each time it is converted).
  SymbolicTensor(const std::shared_ptr<InputLayer>& input);  // NOLINT(google-explicit-constructor)

  bool defined() const { return static_cast<bool>(node_); }
  // Without the batch dimension.
  const Shape& shape() const;
  // The layer that computes it (an InputLayer for an input) and that layer's inputs.
  const LayerPtr& layer() const;
  const std::vector<SymbolicTensor>& inputs() const;
  bool is_input() const;
  // Identity: two tensors are the same when they are the same output of the same call.
  const void* id() const { return node_.get(); }

 private:
  friend SymbolicTensor apply(const LayerPtr& layer, const std::vector<SymbolicTensor>& inputs);
  explicit SymbolicTensor(std::shared_ptr<const detail::SymbolicNode> node) : node_(std::move(node)) {}
  std::shared_ptr<const detail::SymbolicNode> node_;
};

namespace detail {
struct SymbolicNode {
  LayerPtr layer;
  std::vector<SymbolicTensor> inputs;
  Shape shape;
};
}  // namespace detail

// Calls `layer` on `inputs` (one, or several for a merge layer): builds the layer for their shapes
// (or checks them against the shapes it was built for) and returns its output. Throws
// std::invalid_argument naming the layer when the shapes do not suit it.
SymbolicTensor apply(const LayerPtr& layer, const std::vector<SymbolicTensor>& inputs);

// A layer held by shared pointer that can be called on symbolic tensors.
template <class L>
class LayerRef {
 public:
  explicit LayerRef(std::shared_ptr<L> layer) : layer_(std::move(layer)) {}
  SymbolicTensor operator()(const SymbolicTensor& x) const { return nn::apply(layer_, {x}); }
  SymbolicTensor operator()(const std::vector<SymbolicTensor>& xs) const { return nn::apply(layer_, xs); }
  // A braced list is always a list of inputs, even of one.
  SymbolicTensor operator()(std::initializer_list<SymbolicTensor> xs) const {
    return nn::apply(layer_, std::vector<SymbolicTensor>(xs));
  }
  L* operator->() const { return layer_.get(); }
  L& operator*() const { return *layer_; }
  const std::shared_ptr<L>& ptr() const { return layer_; }
  operator std::shared_ptr<L>() const { return layer_; }  // NOLINT(google-explicit-constructor)
  template <class B, class = std::enable_if_t<std::is_base_of_v<B, L> && !std::is_same_v<B, L>>>
  operator std::shared_ptr<B>() const {  // NOLINT(google-explicit-constructor)
    return layer_;
  }

 private:
  std::shared_ptr<L> layer_;
};

// nn::layer<nn::Dense>(64, "relu"): a new layer, ready to be called on symbolic tensors.
template <class L, class... Args>
LayerRef<L> layer(Args&&... args) {
  return LayerRef<L>(std::make_shared<L>(std::forward<Args>(args)...));
}

}  // namespace nn
