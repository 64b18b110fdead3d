#pragma once
// Layer: a named, buildable piece of a model that composes differentiable ops (it has no
// backward of its own). Shapes given to and returned by layers exclude the batch dimension.
//
//   weight_specs(input_shape)  the weights the layer needs for that input (names, shapes, init)
//   build(input_shape)         creates those weights once
//   compute_output_shape(s)    the output shape for an input shape (throws naming the layer)
//   operator()(x, training)    checks x against the built shape, then runs forward
//   config()                   hyper-parameters, enough for the registry to rebuild the layer
//
// A layer of several inputs (the merge layers Add, Multiply, Concatenate) answers takes_list()
// and overrides the list forms (list_output_shape, forward_list); models call every layer through
// the list forms (output_shape_of, build_list, call), which take one input for the others.
// Calling a layer on symbolic tensors (nn/model/symbolic.hpp) records it in a functional model.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/arg.hpp"
#include "nn/autograd/variable.hpp"
#include "nn/config.hpp"
#include "nn/layers/initializers.hpp"

namespace nn {

// One weight of a layer, as weight_specs declares it; build() creates it.
struct WeightSpec {
  std::string name;  // "kernel", "bias"
  Shape shape;
  AnyInitializer initializer = "zeros";
  int64_t fan_in = 1, fan_out = 1;
  // false: a weight no optimizer updates (BatchNormalization's moving statistics); it is saved
  // with the model and counted among its non-trainable parameters.
  bool trainable = true;
};

// What every layer accepts besides its own hyper-parameters (Keras's base-layer arguments):
//   name         default: Keras's "<prefix>", "<prefix>_1", ...
//   input_shape  without the batch dimension; on a model's first layer it builds the model
//                (Keras's Dense(64, input_shape=(784,)))
//   trainable    false freezes the layer's weights
struct LayerArgs {
  std::string name;
  Shape input_shape;
  bool trainable = true;
};

// The base-layer arguments as named options, for a layer's options class.
#define NN_LAYER_ARGS                                                        \
 public:                                                                     \
  LayerArgs layer_args() const { return {name_, input_shape_, trainable_}; } \
  NN_ARG(std::string, name);                                                 \
  NN_ARG(Shape, input_shape);                                                \
  NN_ARG(bool, trainable) = true

class Layer {
 public:
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // Keras's class name, e.g. "Dense": the serialization tag.
  virtual std::string type() const = 0;
  virtual Shape compute_output_shape(const Shape& input_shape) const = 0;

  // The weights build(input_shape) would create, without creating them (model loaders compare
  // them with a file before allocating anything). Throws like compute_output_shape.
  virtual std::vector<WeightSpec> weight_specs(const Shape& input_shape) const {
    (void)input_shape;
    return {};
  }
  // Creates the weights; initialize=false leaves their values unset, for a loader that
  // overwrites them.
  void build(const Shape& input_shape, bool initialize = true);
  bool built() const { return built_; }
  const Shape& input_shape() const { return input_shape_; }  // the first input's, for a merge layer
  Shape output_shape() const { return output_shape_of(input_shapes_); }

  // The list forms, for one input or several (a merge layer's). The number of inputs must be what
  // the layer takes, else std::invalid_argument naming the layer.
  virtual bool takes_list() const { return false; }
  Shape output_shape_of(const std::vector<Shape>& input_shapes) const;
  void build_list(const std::vector<Shape>& input_shapes, bool initialize = true);
  const std::vector<Shape>& input_shapes() const { return input_shapes_; }
  // xs: (N, *input_shapes[i]) each, the same N -> (N, *output_shape). Builds on first call.
  Variable call(const std::vector<Variable>& xs, bool training = false);

  // x: (N, *input_shape) -> (N, *output_shape). Builds on first call.
  Variable operator()(const Variable& x, bool training = false);

  // For a layer whose output is softmax(z) over the last axis: true, and call_logits returns z.
  // Models use it to train on logits with a from-logits loss.
  virtual bool ends_with_softmax() const { return false; }
  Variable call_logits(const Variable& x, bool training = false);

  // Hyper-parameters plus "name", "trainable" and (when declared) "input_shape".
  Config config() const;
  // The input shape given with the layer's options (empty if none): Sequential builds from it.
  const Shape& declared_input_shape() const { return declared_input_shape_; }

  // Run-time state that is not a weight but that training depends on (a dropout layer's random
  // generator), saved with the model so resumed training continues as it would have.
  virtual Config state() const { return {}; }
  virtual void load_state(const Config& state) { (void)state; }

  const std::string& name() const { return name_; }
  bool trainable() const { return trainable_; }
  // Freezes (or unfreezes) the layer's trainable weights (non-trainable ones stay so).
  void set_trainable(bool on);

  // Where the layer's weights live: built there (initializers run on the host and are copied),
  // moved there by to(). Kernel plans follow the weights' backend on the next call.
  Device device() const { return device_; }
  void to(Device device);

  const std::vector<std::pair<std::string, Variable>>& named_parameters() const { return params_; }
  // The weight named `name` ("kernel", "moving_mean"), undefined when the layer has none.
  Variable weight(const std::string& name) const;
  std::vector<Variable> parameters() const;
  std::vector<Variable> trainable_parameters() const;
  int64_t count_params() const;

  // "Dense 'dense_1'" — how errors name a layer.
  std::string describe() const { return type() + " '" + name_ + "'"; }

 protected:
  // prefix: Keras's default name stem ("dense"); an empty name takes "<prefix>_<n>".
  Layer(const std::string& prefix, const LayerArgs& args);
  virtual Variable forward(const Variable& x, bool training) = 0;
  virtual Variable forward_logits(const Variable& x, bool training);
  // A merge layer's shape rule and forward pass (the default refuses: the layer takes one input).
  virtual Shape list_output_shape(const std::vector<Shape>& input_shapes) const;
  virtual Variable forward_list(const std::vector<Variable>& xs, bool training);
  virtual Config hyper_parameters() const { return {}; }
  // A hyper-parameter that is a size (units, filters, kernel and pool extents, strides): it
  // must lie in [1, 2^31), else fail() naming it.
  void check_size(int64_t value, const char* what) const;
  // Throws std::invalid_argument "<describe()>: <message>".
  [[noreturn]] void fail(const std::string& message) const;
  // The same from the constructor of an abstract layer class (where type() cannot be called
  // yet): `type` is the class being built.
  void check_size(int64_t value, const char* what, const std::string& type) const;
  [[noreturn]] void fail(const std::string& message, const std::string& type) const;

 private:
  void check_input(const Variable& x);

  std::string name_;
  bool trainable_ = true;
  Shape declared_input_shape_;
  Device device_ = Device::cpu();
  bool built_ = false;
  Shape input_shape_;
  std::vector<Shape> input_shapes_;  // {input_shape_}, or a merge layer's several
  std::vector<std::pair<std::string, Variable>> params_;
  std::vector<bool> param_trainable_;  // WeightSpec::trainable of each of params_
};

using LayerPtr = std::shared_ptr<Layer>;

// Keras-style default names: "dense", "dense_1", ... per prefix, process-wide.
std::string unique_layer_name(const std::string& prefix);

// Rebuilding layers from their type and config (used by model loading). Built-in layers are
// registered already; register_layer adds user layers. A factory reads its keys through a
// ConfigReader (nn/config.hpp), so a key it does not know is an error that lists the ones it does.
// name, input_shape and trainable, as every layer's config holds them.
LayerArgs read_layer_args(ConfigReader& config);

using LayerFactory = std::function<LayerPtr(ConfigReader&)>;
void register_layer(const std::string& type, LayerFactory factory);
LayerPtr create_layer(const std::string& type, const Config& config);

}  // namespace nn
