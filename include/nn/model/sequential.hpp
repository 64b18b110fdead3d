#pragma once
// Sequential: Keras's linear stack of layers, with compile / fit / evaluate / predict.
//
//   nn::Sequential model;
//   model.add(nn::Input({1, 28, 28}));
//   model.add<nn::Flatten>();
//   model.add<nn::Dense>(512, "relu");
//   model.add<nn::Dense>(10, "softmax");
//   model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
//   nn::History h = model.fit(train, nn::FitOptions().epochs(5).validation_data(test));
//   model.save("model.nn");                      // nn::load_model("model.nn") rebuilds it
//
// The model is built (its weights created) as soon as its input shape is known: from an Input
// added first, from the input_shape option of the first layer, from build(shape), or from the
// first batch it sees. A model that ends in a softmax and is compiled with a probability
// cross-entropy trains on the logits before that softmax with the from-logits loss, as Keras
// does: the same loss, stable.
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "nn/arg.hpp"
#include "nn/data/dataset.hpp"
#include "nn/layers/layer.hpp"
#include "nn/losses.hpp"
#include "nn/metrics.hpp"
#include "nn/model/callback.hpp"
#include "nn/model/logs.hpp"
#include "nn/optim/optimizer.hpp"

namespace nn {

namespace detail {
class RunningLogs;  // model/running_logs.hpp: the loss and metrics of the batches so far, on the model's device
}

// fit()'s arguments, Keras's names:
//   nn::FitOptions().epochs(5).validation_data(test).callbacks({checkpoint, early_stopping})
class FitOptions {
  NN_ARG(int, epochs) = 1;
  NN_ARG(int, initial_epoch) = 0;         // resume: epochs run from initial_epoch to epochs - 1
  NN_ARG(int64_t, steps_per_epoch) = -1;  // -1: one full pass of the dataset per epoch
  NN_ARG(std::optional<data::Dataset>, validation_data);
  NN_ARG(int64_t, validation_steps) = -1;  // -1: the whole validation dataset
  NN_ARG(std::vector<CallbackPtr>, callbacks);
  NN_ARG(int, verbose) = 1;  // 0 silent, 1 progress bar, 2 one line per epoch
  // kBFloat16: mixed precision (nn/precision.hpp): matrix products and convolutions in bfloat16 with
  // float32 accumulation and float32 master weights, on a device that computes in it (cuda).
  NN_ARG(DType, precision) = kFloat32;
  // Only for fit(x, y): batch size, reshuffling each epoch, and the fraction of the samples
  // (taken from the end, before shuffling, as Keras does) held out for validation.
  NN_ARG(int64_t, batch_size) = 32;
  NN_ARG(bool, shuffle) = true;
  NN_ARG(double, validation_split) = 0.0;
  NN_ARG(std::optional<uint64_t>, seed);
};

class Sequential {
 public:
  explicit Sequential(std::string name = "sequential");
  Sequential(std::vector<LayerPtr> layers, std::string name = "sequential");

  // Adds a layer at the end. An Input (or a first layer with the input_shape option) sets the
  // model's input shape; once it is known, each added layer is built at once.
  Sequential& add(LayerPtr layer);
  template <class L, class... Args>
  L& add(Args&&... args) {
    auto layer = std::make_shared<L>(std::forward<Args>(args)...);
    add(layer);
    return *layer;
  }

  // Builds every layer for inputs of `input_shape` (without the batch dimension); initialize=false
  // leaves the weights unset, for a loader that overwrites them.
  void build(const Shape& input_shape, bool initialize = true);
  bool built() const { return built_; }
  const Shape& input_shape() const { return input_shape_; }
  Shape output_shape() const;

  // Moves the model to `device` (parameters, gradients, optimizer state; kernel plans are remade
  // there on the next call); layers added later are built there. fit, evaluate and predict then
  // copy each batch to it. Throws std::runtime_error naming the device when it does not exist.
  Sequential& to(Device device);
  Device device() const { return device_; }

  // Keras's summary table: layer (type), output shape, parameter counts.
  std::string summary() const;

  // The optimizer and loss by name ("adam", "sparse_categorical_crossentropy"), as objects
  // (nn::Adam(1e-4), nn::SparseCategoricalCrossentropy(true)) or shared; metrics by name.
  void compile(AnyOptimizer optimizer, AnyLoss loss, const std::vector<std::string>& metrics = {});
  bool compiled() const { return static_cast<bool>(optimizer_); }
  // Whether the last layer ends in a softmax, so predict() gives probabilities (else scores).
  bool ends_with_softmax() const { return !layers_.empty() && layers_.back()->ends_with_softmax(); }

  History fit(const data::Dataset& train, FitOptions options = {});
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  // Loss and metrics over the dataset (or tensors, in batches), in evaluation mode.
  Logs evaluate(const data::Dataset& data, int64_t steps = -1, int verbose = 0,
                const std::vector<CallbackPtr>& callbacks = {});
  Logs evaluate(const Tensor& x, const Tensor& y, int64_t batch_size = 32);
  // Outputs for x (N, *input_shape) -> (N, *output_shape): probabilities for a softmax model.
  Tensor predict(const Tensor& x, int64_t batch_size = 32);
  // One optimisation step on one batch; returns that batch's loss and metrics.
  Logs train_on_batch(const Tensor& x, const Tensor& y);
  Logs test_on_batch(const Tensor& x, const Tensor& y);

  // The forward pass, recorded for autograd (training selects dropout's behaviour).
  Variable operator()(const Variable& x, bool training = false);

  const std::string& name() const { return name_; }
  const std::vector<LayerPtr>& layers() const { return layers_; }
  std::vector<Variable> parameters() const;
  int64_t count_params() const;
  int64_t count_trainable_params() const;

  // Values of every parameter, in layer order (copies), and their restoration.
  std::vector<Tensor> get_weights() const;
  void set_weights(const std::vector<Tensor>& weights);

  // The model file (architecture, weights, compile settings, optimizer state): nn::load_model
  // rebuilds it without its C++ type. Weights only: into a model of the same architecture.
  void save(const std::string& path) const;
  void save_weights(const std::string& path) const;
  void load_weights(const std::string& path);

  Optimizer& optimizer() const;
  OptimizerPtr optimizer_ptr() const { return optimizer_; }
  const Loss& loss() const;
  LossPtr loss_ptr() const { return loss_; }
  const std::vector<std::string>& metric_names() const { return metric_names_; }

  bool stop_training() const { return stop_training_; }
  void set_stop_training(bool stop) { stop_training_ = stop; }

 private:
  void require_compiled(const char* what) const;
  void ensure_built(const Tensor& batch_x);
  // The one rule for a softmax output: when the model ends in a softmax over (N, C) and the loss
  // has a form that takes logits (the cross-entropies), training computes that loss from the
  // logits before the softmax, as Keras does (stable, and one fused kernel). Decided once the
  // model is both compiled and built; sets training_loss_ and train_on_logits_.
  void resolve_training_loss();
  Variable forward_for_loss(const Variable& x, bool training);  // the logits when train_on_logits_
  Logs one_batch(const Tensor& x, const Tensor& y, bool train);
  void run_batch(const Tensor& x, const Tensor& y, bool train, detail::RunningLogs& running);

  std::string name_;
  std::vector<LayerPtr> layers_;
  std::unordered_set<std::string> layer_names_;  // add() refuses a taken name in O(1)
  bool built_ = false;
  Shape input_shape_;
  Device device_ = Device::cpu();
  OptimizerPtr optimizer_;
  LossPtr loss_, training_loss_;
  bool train_on_logits_ = false;
  std::vector<std::string> metric_names_;
  bool stop_training_ = false;
};

}  // namespace nn
