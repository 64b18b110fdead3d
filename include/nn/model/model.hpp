#pragma once
// Model: Keras's functional model, a graph of layers from its inputs to its outputs, with
// compile / fit / evaluate / predict. Sequential (nn/model/sequential.hpp) is the graph that is a
// chain, grown by add().
//
//   auto inputs = nn::Input({1, 28, 28});
//   auto x = nn::layer<nn::Conv2D>(32, 3, "relu")(inputs);
//   auto y = nn::layer<nn::Conv2D>(32, 3, "relu", nn::Conv2DOptions::same)(x);  (any layer call)
//   auto h = nn::layer<nn::Add>()({x, y});                                   // a skip connection
//   auto outputs = nn::layer<nn::Dense>(10, "softmax")(nn::layer<nn::Flatten>()(h));
//   nn::Model model(inputs, outputs, "residual");
//   model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
//   model.fit(train, nn::FitOptions().epochs(5));
//   model.save("model.nn");              // nn::load_model("model.nn") rebuilds it
//
// A model may have several inputs and outputs: call and predict take one tensor per input and
// give one per output; fit, evaluate, train_on_batch and test_on_batch take one tensor per input
// and one target per output (a dataset's elements hold them: Example::of(xs, ys)), as Keras's
// fit([x1, x2], [y1, y2]) does. It is compiled with one loss per output (or one loss for all) and
// optional loss weights; training minimises the weighted sum, logged as "loss", beside each
// output's "<output>_loss" and "<output>_<metric>" (the output named by the layer computing it):
//
//   model.compile("adam", {"sparse_categorical_crossentropy", "mse"}, {"accuracy"}, {1.0f, 0.5f});
//   model.fit(nn::data::Dataset::from_tensor_slices({images, extra}, {labels, targets}).batch(32));
//
// A model output that ends in a softmax and is
// compiled with a probability cross-entropy trains on the logits before that softmax with the
// from-logits loss, as Keras does: the same loss, stable.
#include <iosfwd>
#include <functional>
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
#include "nn/model/replicas.hpp"
#include "nn/model/symbolic.hpp"
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

// One call of a layer in a model's graph: the layer, and the nodes whose outputs it takes.
struct GraphNode {
  LayerPtr layer;            // an InputLayer for each of the model's inputs
  std::vector<int> inputs;   // earlier nodes (the graph is kept in topological order)
  Shape shape;               // its output's, without the batch dimension
};

class Model {
 public:
  // The graph from `inputs` (nn::Input tensors) to `outputs`. Throws std::invalid_argument naming
  // the layers when an output needs an Input that is not among `inputs`, an input leads to no
  // output, two different layers share a name, or a shared layer is called on different shapes.
  Model(const std::vector<SymbolicTensor>& inputs, const std::vector<SymbolicTensor>& outputs,
        std::string name = "model");
  Model(const SymbolicTensor& input, const SymbolicTensor& output, std::string name = "model")
      : Model(std::vector<SymbolicTensor>{input}, std::vector<SymbolicTensor>{output}, std::move(name)) {}
  // The graph as nodes in any order (each node a layer and the indices of the nodes it takes; the
  // inputs' nodes hold InputLayers): how model files and ONNX files are read. Cycles, unused
  // nodes and shapes that do not fit are errors naming the layers. initialize=false leaves the
  // weights unset, for a loader that overwrites them.
  Model(const std::vector<GraphNode>& nodes, const std::vector<int>& inputs, const std::vector<int>& outputs,
        std::string name, bool initialize = true);
  virtual ~Model() = default;
  Model(const Model&) = default;
  Model& operator=(const Model&) = default;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;

  // Whether the graph is a chain grown by Sequential::add (saved, summarized and loaded as one).
  bool is_sequential() const { return sequential_; }

  // Builds a Sequential for inputs of `input_shape` (without the batch dimension); initialize=false
  // leaves the weights unset, for a loader that overwrites them. A functional model is built at
  // construction: it accepts only its own input shape.
  void build(const Shape& input_shape, bool initialize = true);
  bool built() const { return built_; }
  const Shape& input_shape() const;               // the first input's
  std::vector<Shape> input_shapes() const;
  Shape output_shape() const;                     // the first output's
  std::vector<Shape> output_shapes() const;
  size_t num_inputs() const { return built_ ? inputs_.size() : 1; }
  size_t num_outputs() const { return built_ ? outputs_.size() : 1; }

  // Moves the model to `device` (parameters, gradients, optimizer state; kernel plans are remade
  // there on the next call); layers added later are built there. fit, evaluate and predict then
  // copy each batch to it. Throws std::runtime_error naming the device when it does not exist.
  Model& to(Device device);
  Device device() const { return device_; }

  // Keras's summary table: layer (type), output shape, parameter counts, and for a functional
  // model the layers each one is connected to.
  std::string summary() const;

  // The optimizer and loss by name ("adam", "sparse_categorical_crossentropy"), as objects
  // (nn::Adam(1e-4), nn::SparseCategoricalCrossentropy(true)) or shared; metrics by name.
  void compile(AnyOptimizer optimizer, AnyLoss loss, const std::vector<std::string>& metrics = {});
  // Several outputs: one loss per output, or one for all; the metrics are computed for every output;
  // loss_weights (one per output, >= 0; empty: all 1) weight the sum that training minimises.
  void compile(AnyOptimizer optimizer, const std::vector<AnyLoss>& losses, const std::vector<std::string>& metrics = {},
               const std::vector<float>& loss_weights = {});
  bool compiled() const { return static_cast<bool>(optimizer_); }
  // Whether the (single) output is a softmax, so predict() gives probabilities (else scores).
  bool ends_with_softmax() const;

  History fit(const data::Dataset& train, FitOptions options = {});
  History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  // Several inputs or outputs: one tensor per input, one target per output (the same N).
  History fit(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, FitOptions options = {});
  // Loss and metrics over the dataset (or tensors, in batches), in evaluation mode.
  Logs evaluate(const data::Dataset& data, int64_t steps = -1, int verbose = 0,
                const std::vector<CallbackPtr>& callbacks = {});
  Logs evaluate(const Tensor& x, const Tensor& y, int64_t batch_size = 32);
  Logs evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, int64_t batch_size = 32);
  // Outputs for x (N, *input_shape) -> (N, *output_shape): probabilities for a softmax model.
  Tensor predict(const Tensor& x, int64_t batch_size = 32);
  // Several inputs and outputs: one tensor per input (the same N), one per output.
  std::vector<Tensor> predict(const std::vector<Tensor>& xs, int64_t batch_size = 32);
  // One optimisation step on one batch; returns that batch's loss and metrics.
  Logs train_on_batch(const Tensor& x, const Tensor& y);
  Logs train_on_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys);
  // Called in every training step after the backward pass and before the optimizer's update,
  // with the optimizer's parameters (their gradients set): where data-parallel training averages
  // the gradients over its workers (nn::distributed::distribute). Empty: none.
  using GradientHook = std::function<void(const std::vector<Variable>& parameters)>;
  void set_gradient_hook(GradientHook hook) { gradient_hook_ = std::move(hook); }
  // The other copies of this model in a data-parallel job (nn/model/replicas.hpp), which fit and
  // evaluate then cooperate with; null: this process is the whole job.
  void set_replicas(ReplicasPtr replicas) { replicas_ = std::move(replicas); }
  const ReplicasPtr& replicas() const { return replicas_; }
  Logs test_on_batch(const Tensor& x, const Tensor& y);
  Logs test_on_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys);

  // The forward pass, recorded for autograd (training selects dropout's behaviour): one input and
  // one output, or one Variable per input giving one per output.
  Variable operator()(const Variable& x, bool training = false);
  std::vector<Variable> call(const std::vector<Variable>& xs, bool training = false);

  const std::string& name() const { return name_; }
  // The layers that compute (not the inputs), each once, in the order the graph first uses them;
  // the inputs' layers; the graph (empty until built).
  const std::vector<LayerPtr>& layers() const { return layers_; }
  std::vector<LayerPtr> input_layers() const;
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  const std::vector<int>& input_nodes() const { return inputs_; }
  const std::vector<int>& output_nodes() const { return outputs_; }
  // The layer named `name`; std::invalid_argument listing the names when there is none.
  LayerPtr get_layer(const std::string& name) const;

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
  const Loss& loss() const;  // the first output's
  LossPtr loss_ptr() const { return losses_.empty() ? nullptr : losses_[0]; }
  // One loss per output as compiled (a single loss given for several outputs is kept once), and
  // the weights of their sum (empty: all 1).
  const std::vector<LossPtr>& losses() const { return losses_; }
  const std::vector<float>& loss_weights() const { return loss_weights_; }
  const std::vector<std::string>& metric_names() const { return metric_names_; }

  bool stop_training() const { return stop_training_; }
  void set_stop_training(bool stop) { stop_training_ = stop; }

 protected:
  explicit Model(std::string name, bool sequential) : name_(std::move(name)), sequential_(sequential) {}
  // Sequential::add: appends a layer to the chain (an Input first sets the input shape).
  void append(LayerPtr layer);

 private:
  void require_compiled(const char* what) const;
  void require_single(const char* what) const;  // one input, one output
  void ensure_built(const Tensor& batch_x);
  void set_graph(const std::vector<GraphNode>& nodes, const std::vector<int>& inputs, const std::vector<int>& outputs,
                 bool initialize);
  // The one rule for a softmax output: when an output is a softmax over (N, C) that no other layer
  // (and no other output) takes, and its loss has a form that takes logits (the cross-entropies),
  // training computes that loss from the logits before the softmax, as Keras does (stable, and one
  // fused kernel). Decided once the model is both compiled and built; sets training_losses_ and
  // on_logits_.
  void resolve_training_loss();
  // logits: per output, whether to give the logits before its softmax (empty: none).
  std::vector<Variable> run_graph(const std::vector<Variable>& xs, bool training, const std::vector<bool>& logits);
  std::vector<std::string> output_names() const;
  detail::RunningLogs running_logs() const;
  // With replicas of more than one rank: the running logs summed over them, BatchNormalization's
  // moving statistics averaged (fit, at an epoch's end).
  void reduce_over_replicas(detail::RunningLogs& running) const;
  void average_moving_statistics() const;
  History fit_epochs(const data::Dataset& train, FitOptions& o, std::vector<CallbackPtr>& callbacks);
  Logs one_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, bool train);
  void run_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, bool train, detail::RunningLogs& running);

  std::string name_;
  bool sequential_ = false;
  std::vector<LayerPtr> layers_;
  std::unordered_set<std::string> layer_names_;  // add() refuses a taken name in O(1)
  std::vector<GraphNode> nodes_;
  std::vector<int> inputs_, outputs_;
  std::shared_ptr<InputLayer> declared_input_;  // a Sequential's Input, added before its layers
  bool built_ = false;
  Device device_ = Device::cpu();
  OptimizerPtr optimizer_;
  std::vector<LossPtr> losses_, training_losses_;  // training_losses_: one per output, once built
  std::vector<float> loss_weights_;
  GradientHook gradient_hook_;
  ReplicasPtr replicas_;
  std::vector<bool> on_logits_;  // per output: trained on the logits before its softmax
  std::vector<std::string> metric_names_;
  bool stop_training_ = false;
};

}  // namespace nn
