// Built-in layers by Keras class name, rebuilt from the Config their config() wrote.
#include <map>
#include <mutex>
#include <stdexcept>

#include "nn/layers/activation.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dense.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/max_pool2d.hpp"

namespace nn {
namespace {

std::string name_of(const Config& c) { return c.count("name") ? config_string(c, "name") : std::string(); }

LayerPtr finish(LayerPtr layer, const Config& c) {
  if (c.count("trainable")) layer->set_trainable(config_bool(c, "trainable"));
  return layer;
}

std::map<std::string, LayerFactory>& factories() {
  static std::map<std::string, LayerFactory> f{
      {"Dense",
       [](const Config& c) -> LayerPtr {
         return std::make_shared<Dense>(
             config_int(c, "units"),
             DenseOptions{config_string(c, "activation"), config_bool(c, "use_bias"),
                          config_string(c, "kernel_initializer"), config_string(c, "bias_initializer"),
                          name_of(c)});
       }},
      {"Conv2D",
       [](const Config& c) -> LayerPtr {
         const auto k = config_ints(c, "kernel_size"), s = config_ints(c, "strides");
         if (k.size() != 2 || s.size() != 2) throw std::invalid_argument("Conv2D config: kernel_size/strides need 2 values");
         return std::make_shared<Conv2D>(
             config_int(c, "filters"), k[0], k[1],
             Conv2DOptions{s[0], s[1], Padding::parse(config_string(c, "padding")),
                           config_string(c, "activation"), config_bool(c, "use_bias"),
                           config_string(c, "kernel_initializer"), config_string(c, "bias_initializer"),
                           name_of(c)});
       }},
      {"MaxPool2D",
       [](const Config& c) -> LayerPtr {
         const auto k = config_ints(c, "pool_size"), s = config_ints(c, "strides");
         if (k.size() != 2 || s.size() != 2) throw std::invalid_argument("MaxPool2D config: pool_size/strides need 2 values");
         return std::make_shared<MaxPool2D>(k[0], k[1], s[0], s[1], Padding::parse(config_string(c, "padding")),
                                            name_of(c));
       }},
      {"Dropout",
       [](const Config& c) -> LayerPtr {
         std::optional<uint64_t> seed;
         if (c.count("seed")) seed = static_cast<uint64_t>(config_int(c, "seed"));
         return std::make_shared<Dropout>(static_cast<float>(config_double(c, "rate")), seed, name_of(c));
       }},
      {"Flatten", [](const Config& c) -> LayerPtr { return std::make_shared<Flatten>(name_of(c)); }},
      {"ReLU", [](const Config& c) -> LayerPtr { return std::make_shared<ReLU>(name_of(c)); }},
      {"Softmax", [](const Config& c) -> LayerPtr { return std::make_shared<Softmax>(name_of(c)); }},
      {"Activation",
       [](const Config& c) -> LayerPtr {
         return std::make_shared<Activation>(config_string(c, "activation"), name_of(c));
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
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto it = factories().find(type);
    if (it == factories().end()) throw std::invalid_argument("unknown layer type '" + type + "'");
    f = it->second;
  }
  try {
    return finish(f(config), config);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("layer " + type + ": " + e.what());
  }
}

}  // namespace nn
