#pragma once
// The three classic MNIST models, on (1, 28, 28) inputs scaled to [0, 1].
#include <optional>
#include <string>

#include <nn/model/sequential.hpp>

namespace mnist {

// softmax: softmax regression 784 -> 10 (the ModelArts / "MNIST for ML beginners" tutorial)
// mlp:     Flatten -> Dense 512 relu -> Dropout 0.2 -> Dense 10 softmax (the Keras example)
// cnn:     Conv 5x5x32 relu -> MaxPool 2 -> Conv 5x5x64 relu -> MaxPool 2 -> Dense 1024 relu ->
//          Dropout 0.5 -> Dense 10 softmax (the TensorFlow "deep MNIST" tutorial's deepnn)
// fast:    3 x (Conv 3x3 [16, 32, 64] -> BatchNormalization -> relu -> MaxPool 2) -> Dense 10
//          softmax, trained for one epoch with a one-cycle schedule and label smoothing: the
//          quickest way to 99% test accuracy on a CPU
//
// augment: the augmentation layers in front of the model (active in training only): rotations up
// to ±10°, shifts up to ±10% (±2.8 pixels), zoom 0.91 to 1.11. Default (nullopt): per model, on
// for best only.
nn::Sequential make_model(const std::string& kind, std::optional<bool> augment = std::nullopt);

// Per-model defaults, chosen to reach the models' known accuracies on these CPUs in minutes.
struct Defaults {
  int epochs;
  int64_t batch_size;
  std::string optimizer;
  float lr;
  std::string lr_schedule;  // constant, cosine or one-cycle
  double label_smoothing;
  bool augment;  // the augmentation layers in front
};
Defaults defaults_for(const std::string& kind);

}  // namespace mnist
