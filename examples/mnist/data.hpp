#pragma once
// MNIST as the tool's models see it: images scaled to [0, 1], shaped as the model's input.
#include <nn/data/dataset.hpp>
#include <nn/data/mnist.hpp>
#include <nn/model/sequential.hpp>

#include <string>

namespace mnist {

// One raw example (H, W) in 0..255 -> (1, H, W) in [0, 1] (a pipeline stage).
nn::data::Example normalize(nn::data::Example e);
// (N, H, W) in 0..255 -> (N, *input_shape) in [0, 1]; input_shape must hold H*W elements.
nn::Tensor scaled(const nn::Tensor& images, const nn::Shape& input_shape);

// The MnistOptions that check a data set's image size against a model's input shape (1, H, W)
// or (H, W) before its data is read; a flat input only fixes the pixel count (checked later).
nn::data::MnistOptions options_for(const nn::Shape& input_shape);

// The test split of the MNIST files in dir, checked against the model read from model_file (which
// must have an input shape: an error naming the file otherwise).
nn::data::Mnist load_test_split(const std::string& dir, const nn::Model& model, const std::string& model_file);

}  // namespace mnist
