#include "models.hpp"

#include <stdexcept>

#include <nn/nn.hpp>

namespace mnist {

nn::Sequential make_model(const std::string& kind) {
  nn::Sequential m(kind);
  if (kind == "softmax") {
    m.add<nn::Flatten>();
    m.add<nn::Dense>(nn::DenseOptions(10).activation("softmax").kernel_initializer("zeros"));
  } else if (kind == "mlp") {
    m.add<nn::Flatten>();
    m.add<nn::Dense>(512, "relu");
    m.add<nn::Dropout>(0.2f);
    m.add<nn::Dense>(10, "softmax");
  } else if (kind == "cnn") {
    m.add<nn::Conv2D>(32, 5, "same", "relu");
    m.add<nn::MaxPool2D>(2);
    m.add<nn::Conv2D>(64, 5, "same", "relu");
    m.add<nn::MaxPool2D>(2);
    m.add<nn::Flatten>();
    m.add<nn::Dense>(1024, "relu");
    m.add<nn::Dropout>(0.5f);
    m.add<nn::Dense>(10, "softmax");
  } else {
    throw std::invalid_argument("unknown model '" + kind + "' (expected softmax, mlp or cnn)");
  }
  m.build({1, 28, 28});
  return m;
}

Defaults defaults_for(const std::string& kind) {
  if (kind == "softmax") return {10, 100, "adam", 0.001f};
  if (kind == "mlp") return {20, 128, "adam", 0.001f};
  if (kind == "cnn") return {6, 50, "adam", 0.001f};
  throw std::invalid_argument("unknown model '" + kind + "' (expected softmax, mlp or cnn)");
}

}  // namespace mnist
