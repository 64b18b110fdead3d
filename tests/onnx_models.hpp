#pragma once
// Models for the ONNX tests: the tool's three (as examples/mnist/models.cpp builds them), a graph
// that uses every layer nn exports, and one per activation. Weights are random and the
// BatchNormalization statistics are set away from their initial values, so that an export that
// drops or misplaces any of them shows.
#include <string>
#include <utility>
#include <vector>

#include "nn/nn.hpp"

namespace nn::test::onnx_models {

inline Tensor uniform(const Shape& shape, Generator& g, float lo, float hi) {
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (auto& x : v) x = lo + (hi - lo) * g.uniform();
  return Tensor::from_vector(shape, v);
}

// Moving statistics (and gamma, beta) that are not 0 and 1.
inline void perturb_batch_norms(Model& m, uint64_t seed) {
  Generator g(seed);
  for (const auto& layer : m.layers())
    for (const auto& [name, v] : layer->named_parameters()) {
      if (layer->type() != "BatchNormalization" && layer->type() != "Rescaling") continue;
      const bool positive = name == "moving_variance" || name == "gamma" || name == "scale";
      Tensor dst = v.value();
      dst.copy_from(uniform(v.shape(), g, positive ? 0.5f : -0.5f, positive ? 1.5f : 0.5f));
    }
}

inline Model mlp() {
  Sequential m;
  m.add(Input({1, 28, 28}, "image"));
  m.add<Flatten>();
  m.add<Dense>(512, "relu");
  m.add<Dropout>(0.2f);
  m.add<Dense>(10, "softmax");
  return m;
}

inline Model cnn() {
  Sequential m;
  m.add(Input({1, 28, 28}, "image"));
  m.add<Conv2D>(32, 5, "same", "relu");
  m.add<MaxPool2D>(2);
  m.add<Conv2D>(64, 5, "same", "relu");
  m.add<MaxPool2D>(2);
  m.add<Flatten>();
  m.add<Dense>(1024, "relu");
  m.add<Dropout>(0.5f);
  m.add<Dense>(10, "softmax");
  return m;
}

inline Model fast() {
  Sequential m;
  m.add(Input({1, 28, 28}, "image"));
  for (int filters : {32, 64}) {
    m.add<Conv2D>(Conv2DOptions(filters, 3).padding("same").use_bias(false));
    m.add<MaxPool2D>(2);
    m.add<BatchNormalization>(BatchNormalizationOptions().momentum(0.9f));
    m.add<ReLU>();
  }
  m.add<Flatten>();
  m.add<Dense>(10, "softmax");
  perturb_batch_norms(m, 7);
  return m;
}

// Every layer nn exports, in one functional graph with two inputs and two outputs.
inline Model every_layer() {
  auto image = Input(InputLayerOptions({2, 9, 9}).name("image"));
  auto extra = Input(InputLayerOptions({6}).name("extra"));
  // Augmentation: the identity outside training, exported as Identity.
  auto turned = layer<RandomRotation>(RandomRotationOptions(0.1f))(image);
  auto shifted = layer<RandomTranslation>(RandomTranslationOptions(0.1f, 0.1f))(turned);
  auto zoomed = layer<RandomZoom>(RandomZoomOptions(0.1f))(shifted);
  auto augmented = layer<RandomContrast>(RandomContrastOptions(0.2f))(zoomed);
  auto c1 = layer<Conv2D>(Conv2DOptions(4, 3).padding("same").activation("relu"))(augmented);        // (4, 9, 9)
  auto c2 = layer<Conv2D>(Conv2DOptions(4, Size2(3, 2)).strides(2).padding("same"))(c1);             // (4, 5, 5)
  auto c3 = layer<Conv2D>(Conv2DOptions(4, 3).padding(Padding::values(1, 1)).activation("tanh"))(c2);  // (4, 5, 5)
  auto bn = layer<BatchNormalization>()(c3);
  auto sum = layer<Add>()({c2, bn, c3});
  auto prod = layer<Multiply>()({c2, c3});
  auto diff = layer<Subtract>()({sum, prod});
  auto cat = layer<Concatenate>(1)({diff, c2});                                             // (8, 5, 5)
  auto padded = layer<ZeroPadding2D>(ZeroPadding2DOptions({1, 0, 2, 1}))(cat);             // (8, 6, 8)
  auto pooled = layer<MaxPool2D>(Pooling2DOptions(2).padding("same"))(padded);             // (8, 3, 4)
  auto avg = layer<AveragePooling2D>(Pooling2DOptions(2).strides(1).padding("same"))(pooled);  // (8, 3, 4)
  auto perm = layer<Permute>(PermuteOptions({1, 3, 2}))(avg);                                // (8, 4, 3)
  auto scaled = layer<Rescaling>(RescalingOptions(0.5, 0.25).scale_shape({8, 1, 1}))(perm);
  auto leaky = layer<LeakyReLU>(0.1)(scaled);
  auto gap = layer<GlobalAveragePooling2D>()(leaky);                                         // (8)
  auto flat = layer<Flatten>()(leaky);                                                       // (96)
  auto reshaped = layer<Reshape>(ReshapeOptions({-1, 8}))(flat);                             // (12, 8)
  auto bn_last = layer<BatchNormalization>(BatchNormalizationOptions().axis(-1))(reshaped);  // over the 8
  auto flat2 = layer<Flatten>()(bn_last);                                                    // (96)
  auto d_extra = layer<Dense>(DenseOptions(8).activation("sigmoid"))(extra);
  auto joined = layer<Concatenate>()({layer<Dense>(DenseOptions(8).use_bias(false))(flat2), gap, d_extra});  // (24)
  auto drop = layer<Dropout>(0.3f)(joined);
  auto relu6 = layer<ReLU>(ReLUOptions().max_value(6.0))(drop);
  auto elu = layer<ELU>()(relu6);
  auto logits = layer<Dense>(10)(elu);
  auto probs = layer<Softmax>()(logits);
  auto side = layer<Activation>("linear")(layer<Dense>(DenseOptions(3).activation("relu"))(gap));
  Model m({image, extra}, {probs, side}, "every_layer");
  perturb_batch_norms(m, 11);
  return m;
}

// One Dense layer followed by each of Keras's activations (the export's forms for each).
inline std::vector<std::pair<std::string, Model>> activations() {
  std::vector<std::pair<std::string, Model>> out;
  for (const char* act : {"relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid",
                          "log_sigmoid", "tanh", "softplus", "softsign", "silu", "hard_silu", "mish",
                          "exponential", "softmax", "log_softmax", "linear"}) {
    Sequential m;
    m.add(Input({5}, "x"));
    m.add<Dense>(DenseOptions(6).kernel_initializer("glorot_uniform").bias_initializer(Constant(0.1)));
    m.add<Activation>(act);
    out.emplace_back(std::string("activation_") + act, Model(m));
  }
  return out;
}

// A batch of inputs for each of the model's inputs, in [-1, 1] (or MNIST-like [0, 1] images).
inline std::vector<Tensor> inputs_for(const Model& m, int64_t batch, uint64_t seed) {
  Generator g(seed);
  std::vector<Tensor> xs;
  for (int node : m.input_nodes()) {
    Shape s{batch};
    const Shape& own = m.nodes()[static_cast<size_t>(node)].shape;
    s.insert(s.end(), own.begin(), own.end());
    xs.push_back(uniform(s, g, own.size() == 3 ? 0.0f : -1.0f, 1.0f));
  }
  return xs;
}

}  // namespace nn::test::onnx_models
