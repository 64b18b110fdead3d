// Symbolic tensors: calling layers on them records the graph a functional model holds.
#include "nn/model/symbolic.hpp"

#include <stdexcept>

namespace nn {

SymbolicTensor::SymbolicTensor(const std::shared_ptr<InputLayer>& input) {
  if (!input) throw std::invalid_argument("SymbolicTensor: null Input");
  node_ = input->symbolic_.lock();
  if (!node_) {
    auto node = std::make_shared<detail::SymbolicNode>();
    node->layer = input;
    node->shape = input->declared_input_shape();
    node_ = node;
    input->symbolic_ = node_;
  }
}

namespace {
const detail::SymbolicNode& deref(const std::shared_ptr<const detail::SymbolicNode>& node) {
  if (!node) throw std::logic_error("SymbolicTensor: an undefined (default-constructed) tensor");
  return *node;
}
}  // namespace

const Shape& SymbolicTensor::shape() const { return deref(node_).shape; }
const LayerPtr& SymbolicTensor::layer() const { return deref(node_).layer; }
const std::vector<SymbolicTensor>& SymbolicTensor::inputs() const { return deref(node_).inputs; }
bool SymbolicTensor::is_input() const { return dynamic_cast<const InputLayer*>(layer().get()) != nullptr; }

SymbolicTensor apply(const LayerPtr& layer, const std::vector<SymbolicTensor>& inputs) {
  if (!layer) throw std::invalid_argument("calling a layer on symbolic tensors: null layer");
  if (dynamic_cast<const InputLayer*>(layer.get()))
    throw std::invalid_argument(layer->describe() + ": an Input is a model's input, it cannot be called on tensors");
  if (inputs.empty()) throw std::invalid_argument(layer->describe() + ": called on no inputs");
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      throw std::invalid_argument(layer->describe() + ": input " + std::to_string(i) + " is an undefined tensor");
    shapes.push_back(inputs[i].shape());
  }
  if (shapes.size() == 1 && !layer->declared_input_shape().empty() && layer->declared_input_shape() != shapes[0])
    throw std::invalid_argument(layer->describe() + ": declares input_shape " + to_string(layer->declared_input_shape()) +
                                " but is called on " + to_string(shapes[0]));
  auto node = std::make_shared<detail::SymbolicNode>();
  node->shape = layer->output_shape_of(shapes);  // validates (throws naming the layer)
  layer->build_list(shapes);                          // creates the weights, or checks a shared layer's shapes
  node->layer = layer;
  node->inputs = inputs;
  return SymbolicTensor(std::move(node));
}

}  // namespace nn
