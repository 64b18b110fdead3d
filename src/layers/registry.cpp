// Built-in layers by Keras class name, rebuilt from the Config their config() wrote. Every
// factory reads through a ConfigReader, so an unknown key is an error naming the known ones.
#include <map>
#include <mutex>
#include <stdexcept>

#include "nn/layers/activation.hpp"
#include "nn/layers/average_pooling2d.hpp"
#include "nn/layers/batch_normalization.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dense.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/max_pool2d.hpp"
#include "nn/layers/reshape.hpp"

namespace nn {
namespace {

Size2 size2(ConfigReader& c, const std::string& key) {
  const auto v = c.integers(key);
  if (v.size() != 2)
    throw std::invalid_argument("config: " + key + " needs 2 values, got " + std::to_string(v.size()));
  return {v[0], v[1]};
}

// An initializer option; an error names the key ("kernel_initializer: unknown initializer ...").
AnyInitializer initializer(ConfigReader& c, const std::string& key, const std::string& fallback) {
  const std::string spec = c.string(key, fallback);
  try {
    return AnyInitializer(spec);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(key + ": " + e.what());
  }
}

template <class Options>
Options& with_layer_args(Options& o, ConfigReader& c) {
  const LayerArgs a = read_layer_args(c);
  o.name(a.name).input_shape(a.input_shape).trainable(a.trainable);
  return o;
}

// MaxPool2D and AveragePooling2D: the same keys, with Keras's defaults.
template <class PoolingLayer>
LayerPtr pooling_layer(ConfigReader& c) {
  Pooling2DOptions o(c.has("pool_size") ? size2(c, "pool_size") : Size2(2));
  if (c.has("strides")) o.strides(size2(c, "strides"));
  o.padding(c.string("padding", "valid"));
  return std::make_shared<PoolingLayer>(with_layer_args(o, c));
}

std::map<std::string, LayerFactory>& factories() {
  static std::map<std::string, LayerFactory> f{
      {"Dense",
       [](ConfigReader& c) -> LayerPtr {
         DenseOptions o(c.integer("units"));
         o.activation(c.string("activation", "linear"))
             .use_bias(c.boolean("use_bias", true))
             .kernel_initializer(initializer(c, "kernel_initializer", "glorot_uniform"))
             .bias_initializer(initializer(c, "bias_initializer", "zeros"));
         return std::make_shared<Dense>(with_layer_args(o, c));
       }},
      {"Conv2D",
       [](ConfigReader& c) -> LayerPtr {
         Conv2DOptions o(c.integer("filters"), size2(c, "kernel_size"));
         o.strides(c.has("strides") ? size2(c, "strides") : Size2(1))
             .padding(c.string("padding", "valid"))
             .activation(c.string("activation", "linear"))
             .use_bias(c.boolean("use_bias", true))
             .kernel_initializer(initializer(c, "kernel_initializer", "glorot_uniform"))
             .bias_initializer(initializer(c, "bias_initializer", "zeros"));
         return std::make_shared<Conv2D>(with_layer_args(o, c));
       }},
      {"MaxPool2D", [](ConfigReader& c) -> LayerPtr { return pooling_layer<MaxPool2D>(c); }},
      {"AveragePooling2D", [](ConfigReader& c) -> LayerPtr { return pooling_layer<AveragePooling2D>(c); }},
      {"GlobalAveragePooling2D",
       [](ConfigReader& c) -> LayerPtr {
         GlobalAveragePooling2DOptions o;
         return std::make_shared<GlobalAveragePooling2D>(with_layer_args(o, c));
       }},
      {"BatchNormalization",
       [](ConfigReader& c) -> LayerPtr {
         BatchNormalizationOptions o;
         const int64_t axis = c.integer("axis", 1);
         if (axis < -64 || axis > 64) throw std::invalid_argument("config: axis " + std::to_string(axis) + " is out of range");
         o.axis(static_cast<int>(axis))
             .momentum(static_cast<float>(c.number("momentum", 0.99)))
             .epsilon(static_cast<float>(c.number("epsilon", 1e-3)))
             .center(c.boolean("center", true))
             .scale(c.boolean("scale", true))
             .beta_initializer(initializer(c, "beta_initializer", "zeros"))
             .gamma_initializer(initializer(c, "gamma_initializer", "ones"))
             .moving_mean_initializer(initializer(c, "moving_mean_initializer", "zeros"))
             .moving_variance_initializer(initializer(c, "moving_variance_initializer", "ones"));
         return std::make_shared<BatchNormalization>(with_layer_args(o, c));
       }},
      {"Dropout",
       [](ConfigReader& c) -> LayerPtr {
         DropoutOptions o(static_cast<float>(c.number("rate")));
         if (c.has("seed")) o.seed(static_cast<uint64_t>(c.integer("seed")));
         return std::make_shared<Dropout>(with_layer_args(o, c));
       }},
      {"Flatten",
       [](ConfigReader& c) -> LayerPtr {
         FlattenOptions o;
         return std::make_shared<Flatten>(with_layer_args(o, c));
       }},
      {"Reshape",
       [](ConfigReader& c) -> LayerPtr {
         ReshapeOptions o(c.integers("target_shape"));
         return std::make_shared<Reshape>(with_layer_args(o, c));
       }},
      {"Permute",
       [](ConfigReader& c) -> LayerPtr {
         PermuteOptions o(c.integers("dims"));
         return std::make_shared<Permute>(with_layer_args(o, c));
       }},
      {"InputLayer",
       [](ConfigReader& c) -> LayerPtr {
         const LayerArgs a = read_layer_args(c);
         return std::make_shared<InputLayer>(InputLayerOptions(a.input_shape).name(a.name));
       }},
      {"Activation",
       [](ConfigReader& c) -> LayerPtr {
         ActivationOptions o(c.string("activation"));
         return std::make_shared<Activation>(with_layer_args(o, c));
       }},
      {"ReLU",
       [](ConfigReader& c) -> LayerPtr {
         ReLUOptions o;
         o.negative_slope(c.number("negative_slope", 0.0));
         if (c.has("max_value")) o.max_value(c.number("max_value"));
         return std::make_shared<ReLU>(with_layer_args(o, c));
       }},
      {"LeakyReLU",
       [](ConfigReader& c) -> LayerPtr {
         LeakyReLUOptions o;
         o.negative_slope(c.number("negative_slope", 0.3));
         return std::make_shared<LeakyReLU>(with_layer_args(o, c));
       }},
      {"ELU",
       [](ConfigReader& c) -> LayerPtr {
         ELUOptions o;
         o.alpha(c.number("alpha", 1.0));
         return std::make_shared<ELU>(with_layer_args(o, c));
       }},
      {"Softmax",
       [](ConfigReader& c) -> LayerPtr {
         SoftmaxOptions o;
         return std::make_shared<Softmax>(with_layer_args(o, c));
       }},
  };
  return f;
}
std::mutex g_mutex;

}  // namespace

void register_layer(const std::string& type, LayerFactory factory) {
  std::lock_guard<std::mutex> lock(g_mutex);
  factories()[type] = std::move(factory);
}

LayerPtr create_layer(const std::string& type, const Config& config) {
  LayerFactory f;
  std::string known;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = factories().find(type);
    if (it == factories().end()) {
      for (const auto& [name, factory] : factories()) known += (known.empty() ? "" : ", ") + name;
      throw std::invalid_argument("unknown layer type '" + type + "' (known: " + known +
                                  "; register your own with nn::register_layer)");
    }
    f = it->second;
  }
  try {
    ConfigReader reader(config, type);
    LayerPtr layer = f(reader);
    reader.done();
    return layer;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("layer " + type + ": " + e.what());
  }
}

}  // namespace nn
