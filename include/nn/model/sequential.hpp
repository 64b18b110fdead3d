#pragma once
// Sequential: Keras's linear stack of layers, the functional model (nn/model/model.hpp) whose
// graph is a chain, grown with add().
//
//   nn::Sequential model;
//   model.add(nn::Input({1, 28, 28}));
//   model.add<nn::Flatten>();
//   model.add<nn::Dense>(512, "relu");
//   model.add<nn::Dense>(10, "softmax");
//   model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
//   nn::History h = model.fit(train, nn::FitOptions().epochs(5).validation_data(test));
//   model.save("model.nn");                      // nn::load_model("model.nn") rebuilds it
//
// The model is built (its weights created) as soon as its input shape is known: from an Input
// added first, from the input_shape option of the first layer, from build(shape), or from the
// first batch it sees.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/model/model.hpp"

namespace nn {

class Sequential : public Model {
 public:
  explicit Sequential(std::string name = "sequential") : Model(std::move(name), true) {}
  Sequential(std::vector<LayerPtr> layers, std::string name = "sequential");
  // A model that is a Sequential (as nn::load_model returns one saved from a Sequential); throws
  // std::invalid_argument for a functional model (hold that in an nn::Model).
  Sequential(Model model);  // NOLINT(google-explicit-constructor)

  // Adds a layer at the end. An Input (or a first layer with the input_shape option) sets the
  // model's input shape; once it is known, each added layer is built at once.
  Sequential& add(LayerPtr layer);
  template <class L, class... Args>
  L& add(Args&&... args) {
    auto layer = std::make_shared<L>(std::forward<Args>(args)...);
    add(layer);
    return *layer;
  }

  Sequential& to(Device device) {
    Model::to(device);
    return *this;
  }
};

}  // namespace nn
