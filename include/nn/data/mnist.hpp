#pragma once
// MNIST (or any data set in its four-file IDX layout, e.g. Fashion-MNIST) loaded into tensors.
#include <string>

#include "nn/tensor.hpp"

namespace nn::data {

// Images stay uint8 with their raw 0..255 values (as keras.datasets.mnist.load_data and tf.data
// keep them, a quarter of float32's memory): a map or the model converts them (arithmetic on them
// gives float32: images / 255.0f). Labels are int64 class indices. A split that was not asked for
// is left undefined.
struct Mnist {
  Tensor train_images;  // (N_train, H, W) uint8
  Tensor train_labels;  // (N_train) int64
  Tensor test_images;   // (N_test, H, W) uint8
  Tensor test_labels;   // (N_test) int64
};

struct MnistOptions {
  bool train = true;  // load the training split
  bool test = true;   // load the test split
  // When set, images must have this (height, width); checked from the file headers, before any
  // data is read.
  int64_t height = 0, width = 0;
  // The most elements one file may hold (checked from its header): 5x EMNIST.
  int64_t max_elements = int64_t{1} << 28;
};

// Loads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte from `dir` (the splits asked for), each raw or gzip-compressed with a
// ".gz" suffix (the raw file wins when both exist). scripts/fetch-mnist.sh downloads them.
// Every header is checked before any data is read; throws std::runtime_error naming the file when
// one is missing or malformed: images must be 3-d ubyte, labels 1-d ubyte with values 0..9, and a
// split's images and labels must agree in count.
Mnist load_mnist(const std::string& dir, const MnistOptions& options = {});

}  // namespace nn::data
