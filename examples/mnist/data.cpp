#include "data.hpp"

#include <stdexcept>

namespace mnist {

nn::data::Example normalize(nn::data::Example e) {
  nn::Tensor x({1, e.x.dim(0), e.x.dim(1)});
  const uint8_t* src = e.x.data<uint8_t>();  // MNIST's bytes
  float* dst = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) dst[i] = src[i] * (1.0f / 255.0f);
  return {x, e.y};
}

nn::Tensor scaled(const nn::Tensor& images, const nn::Shape& input_shape) {
  nn::Shape shape{images.dim(0)};
  shape.insert(shape.end(), input_shape.begin(), input_shape.end());
  if (nn::numel(input_shape) != images.dim(1) * images.dim(2))
    throw std::runtime_error("the model takes inputs of shape " + nn::to_string(input_shape) +
                             ", the images are " + std::to_string(images.dim(1)) + "x" +
                             std::to_string(images.dim(2)));
  nn::Tensor x(shape);
  const uint8_t* src = images.data<uint8_t>();  // MNIST's bytes
  float* dst = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) dst[i] = src[i] * (1.0f / 255.0f);
  return x;
}

nn::data::MnistOptions options_for(const nn::Shape& s) {
  nn::data::MnistOptions o;
  if (s.size() >= 2 && nn::numel(s) == s[s.size() - 2] * s[s.size() - 1]) {
    o.height = s[s.size() - 2];
    o.width = s[s.size() - 1];
  }
  return o;
}

nn::data::Mnist load_test_split(const std::string& dir, const nn::Model& model, const std::string& model_file) {
  if (!model.built()) throw std::runtime_error(model_file + ": the model has no input shape (it was never built)");
  nn::data::MnistOptions options = options_for(model.input_shape());
  options.train = false;
  return nn::data::load_mnist(dir, options);
}

}  // namespace mnist
