// Sequential: a Model whose graph is a chain, grown by add().
#include "nn/model/sequential.hpp"

#include <stdexcept>

namespace nn {

Sequential::Sequential(std::vector<LayerPtr> layers, std::string name) : Model(std::move(name), true) {
  for (auto& l : layers) add(std::move(l));
}

Sequential::Sequential(Model model) : Model(std::move(model)) {
  if (!is_sequential())
    throw std::invalid_argument("Sequential: the model '" + name() +
                                "' is a functional model (a graph, not a chain of layers); hold it in an nn::Model");
}

Sequential& Sequential::add(LayerPtr layer) {
  append(std::move(layer));
  return *this;
}

}  // namespace nn
