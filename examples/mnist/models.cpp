#include "models.hpp"

#include <stdexcept>

#include <nn/nn.hpp>

namespace mnist {

nn::Sequential make_model(const std::string& kind, std::optional<bool> augment) {
  nn::Sequential m(kind);
  if (augment.value_or(defaults_for(kind).augment)) {
    m.add<nn::RandomRotation>(nn::RandomRotationOptions(10.0f / 360.0f));
    m.add<nn::RandomTranslation>(nn::RandomTranslationOptions(0.1f, 0.1f));
    m.add<nn::RandomZoom>(nn::RandomZoomOptions(0.1f));
  }
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
  } else if (kind == "fast") {
    // Three conv-pool-BN-relu blocks (16, 32, 64 channels) and a linear classifier. Pooling
    // first, the normalization and relu passes run on a quarter of the values.
    for (int64_t filters : {16, 32, 64}) {
      m.add<nn::Conv2D>(nn::Conv2DOptions(filters, 3).padding("same").use_bias(false));
      m.add<nn::MaxPool2D>(2);
      m.add<nn::BatchNormalization>(nn::BatchNormalizationOptions().momentum(0.9f));
      m.add<nn::ReLU>();
    }
    m.add<nn::Flatten>();
    m.add<nn::Dense>(10, "softmax");
  } else if (kind == "best") {
    // For accuracy: augmentation in training (by default), then two blocks of two 3x3
    // convolutions and a strided 5x5 one, each batch-normalized, with dropout after each block and
    // before the classifier.
    for (int64_t filters : {32, 64}) {
      for (int i = 0; i < 3; ++i) {
        nn::Conv2DOptions conv(filters, i < 2 ? 3 : 5);
        if (i == 2) conv.strides(2).padding("same");
        m.add<nn::Conv2D>(conv.use_bias(false));
        m.add<nn::BatchNormalization>(nn::BatchNormalizationOptions().momentum(0.9f));
        m.add<nn::ReLU>();
      }
      m.add<nn::Dropout>(0.3f);
    }
    m.add<nn::Flatten>();
    m.add<nn::Dense>(nn::DenseOptions(128).use_bias(false));
    m.add<nn::BatchNormalization>(nn::BatchNormalizationOptions().momentum(0.9f));
    m.add<nn::ReLU>();
    m.add<nn::Dropout>(0.3f);
    m.add<nn::Dense>(10, "softmax");
  } else {
    throw std::invalid_argument("unknown model '" + kind + "' (expected softmax, mlp, cnn, fast or best)");
  }
  m.build({1, 28, 28});
  return m;
}

Defaults defaults_for(const std::string& kind) {
  if (kind == "softmax") return {10, 100, "adam", 0.001f, "constant", 0.0, false};
  if (kind == "mlp") return {20, 128, "adam", 0.001f, "constant", 0.0, false};
  // Cosine decay over the 6 epochs: the last epochs refine at a small rate, so the best epoch by
  // validation loss is the last (99.44% test accuracy with seed 42; 99.13% at a constant rate,
  // whose best validation loss came at epoch 3).
  if (kind == "cnn") return {6, 50, "adam", 0.001f, "cosine", 0.0, false};
  if (kind == "fast") return {1, 128, "adam", 0.02f, "one-cycle", 0.1, false};
  if (kind == "best") return {18, 128, "adam", 0.005f, "one-cycle", 0.1, true};
  throw std::invalid_argument("unknown model '" + kind + "' (expected softmax, mlp, cnn, fast or best)");
}

}  // namespace mnist
