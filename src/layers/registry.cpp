// Built-in layers by Keras class name, rebuilt from the Config their config() wrote. Every
// factory reads through a ConfigReader, so an unknown key is an error naming the known ones.
#include <map>
#include <mutex>
#include <stdexcept>

#include "nn/layers/activation.hpp"
#include "nn/layers/augmentation.hpp"
#include "nn/layers/average_pooling2d.hpp"
#include "nn/layers/batch_normalization.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dense.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/max_pool2d.hpp"
#include "nn/layers/merge.hpp"
#include "nn/layers/reshape.hpp"
#include "nn/layers/rescaling.hpp"
#include "nn/layers/zero_padding2d.hpp"
#include "layers/fields.hpp"

namespace nn {
namespace {

using detail::read_fields;

template <class Options>
Options& with_layer_args(Options& o, ConfigReader& c) {
  const LayerArgs a = read_layer_args(c);
  o.name(a.name).input_shape(a.input_shape).trainable(a.trainable);
  return o;
}

// A layer whose options have a default constructor: the options' fields() list says what to read.
template <class L, class Options>
LayerFactory plain() {
  return [](ConfigReader& c) -> LayerPtr {
    Options o;
    return std::make_shared<L>(with_layer_args(read_fields(o, c), c));
  };
}

std::map<std::string, LayerFactory>& factories() {
  static std::map<std::string, LayerFactory> f{
      {"Dense",
       [](ConfigReader& c) -> LayerPtr {
         DenseOptions o(c.integer("units"));
         return std::make_shared<Dense>(with_layer_args(read_fields(o, c), c));
       }},
      {"Conv2D",
       [](ConfigReader& c) -> LayerPtr {
         const auto k = c.integers("kernel_size");
         Conv2DOptions o(c.integer("filters"), k.size() == 2 ? Size2(k[0], k[1]) : Size2(1));
         return std::make_shared<Conv2D>(with_layer_args(read_fields(o, c), c));  // kernel_size checked here
       }},
      {"MaxPool2D", plain<MaxPool2D, Pooling2DOptions>()},
      {"AveragePooling2D", plain<AveragePooling2D, Pooling2DOptions>()},
      {"GlobalAveragePooling2D", plain<GlobalAveragePooling2D, GlobalAveragePooling2DOptions>()},
      {"BatchNormalization",
       [](ConfigReader& c) -> LayerPtr {
         BatchNormalizationOptions o;
         read_fields(o, c);
         if (o.axis() < -64 || o.axis() > 64)
           throw std::invalid_argument("config: axis " + std::to_string(o.axis()) + " is out of range");
         return std::make_shared<BatchNormalization>(with_layer_args(o, c));
       }},
      {"Dropout",
       [](ConfigReader& c) -> LayerPtr {
         DropoutOptions o(static_cast<float>(c.number("rate")));
         return std::make_shared<Dropout>(with_layer_args(read_fields(o, c), c));
       }},
      {"Flatten", plain<Flatten, FlattenOptions>()},
      {"RandomRotation", plain<RandomRotation, RandomRotationOptions>()},
      {"RandomTranslation", plain<RandomTranslation, RandomTranslationOptions>()},
      {"RandomZoom", plain<RandomZoom, RandomZoomOptions>()},
      {"RandomContrast", plain<RandomContrast, RandomContrastOptions>()},
      {"Reshape",
       [](ConfigReader& c) -> LayerPtr {
         ReshapeOptions o(c.integers("target_shape"));
         return std::make_shared<Reshape>(with_layer_args(read_fields(o, c), c));
       }},
      {"Permute",
       [](ConfigReader& c) -> LayerPtr {
         PermuteOptions o(c.integers("dims"));
         return std::make_shared<Permute>(with_layer_args(read_fields(o, c), c));
       }},
      {"InputLayer",
       [](ConfigReader& c) -> LayerPtr {
         const LayerArgs a = read_layer_args(c);
         return std::make_shared<InputLayer>(InputLayerOptions(a.input_shape).name(a.name));
       }},
      {"Activation",
       [](ConfigReader& c) -> LayerPtr {
         ActivationOptions o(c.string("activation"));
         return std::make_shared<Activation>(with_layer_args(read_fields(o, c), c));
       }},
      {"ReLU", plain<ReLU, ReLUOptions>()},
      {"LeakyReLU", plain<LeakyReLU, LeakyReLUOptions>()},
      {"ELU", plain<ELU, ELUOptions>()},
      {"Softmax", plain<Softmax, SoftmaxOptions>()},
      {"Add", plain<Add, MergeOptions>()},
      {"Multiply", plain<Multiply, MergeOptions>()},
      {"Subtract", plain<Subtract, MergeOptions>()},
      {"Rescaling", plain<Rescaling, RescalingOptions>()},
      {"ZeroPadding2D", plain<ZeroPadding2D, ZeroPadding2DOptions>()},
      {"Concatenate", plain<Concatenate, ConcatenateOptions>()},
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
