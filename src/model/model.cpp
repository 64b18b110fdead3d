// Model: the graph (construction, build, summary, weights) and compile. The training loop lives in
// fit.cpp; Sequential's add in sequential.cpp.
#include "nn/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "model/graph.hpp"
#include "nn/backend/backend.hpp"
#include "nn/io/model_file.hpp"
#include "nn/layers/reshape.hpp"

namespace nn {

Model& Callback::model() const {
  if (!model_) throw std::logic_error("callback is not attached to a model");
  return *model_;
}

Model::Model(const std::vector<SymbolicTensor>& inputs, const std::vector<SymbolicTensor>& outputs, std::string name)
    : name_(std::move(name)) {
  // The symbolic graph as nodes: each distinct tensor once, found from the outputs.
  std::vector<GraphNode> nodes;
  std::unordered_map<const void*, int> index;
  std::vector<SymbolicTensor> pending;
  const auto node_of = [&](const SymbolicTensor& t) {
    if (!t.defined()) throw std::invalid_argument("Model: an undefined (default-constructed) tensor");
    auto [it, fresh] = index.emplace(t.id(), static_cast<int>(nodes.size()));
    if (fresh) {
      nodes.push_back({t.layer(), {}, t.shape()});
      pending.push_back(t);
    }
    return it->second;
  };
  std::vector<int> in, out;
  for (const auto& t : inputs) in.push_back(node_of(t));
  for (const auto& t : outputs) out.push_back(node_of(t));
  while (!pending.empty()) {
    const SymbolicTensor t = pending.back();
    pending.pop_back();
    const int i = index.at(t.id());
    std::vector<int> ins;
    for (const auto& x : t.inputs()) ins.push_back(node_of(x));
    nodes[static_cast<size_t>(i)].inputs = std::move(ins);
  }
  set_graph(nodes, in, out, true);
}

Model::Model(const std::vector<GraphNode>& nodes, const std::vector<int>& inputs, const std::vector<int>& outputs,
             std::string name, bool initialize)
    : name_(std::move(name)) {
  set_graph(nodes, inputs, outputs, initialize);
}

void Model::set_graph(const std::vector<GraphNode>& nodes, const std::vector<int>& inputs,
                      const std::vector<int>& outputs, bool initialize) {
  const detail::GraphPlan plan = detail::plan_graph(nodes, inputs, outputs);  // checks everything first
  std::vector<int> position(nodes.size(), -1);
  std::vector<GraphNode> sorted;
  for (int i : plan.order) {
    position[static_cast<size_t>(i)] = static_cast<int>(sorted.size());
    GraphNode node = nodes[static_cast<size_t>(i)];
    for (int& j : node.inputs) j = position[static_cast<size_t>(j)];
    node.shape = plan.shapes[static_cast<size_t>(i)];
    sorted.push_back(std::move(node));
  }
  for (int i : inputs) {  // an Input checks the shape of what it is given
    const LayerPtr& input = nodes[static_cast<size_t>(i)].layer;
    input->build(input->declared_input_shape());
  }
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    plan.layers[l]->to(device_);
    plan.layers[l]->build_list(plan.layer_input_shapes[l], initialize);
  }
  nodes_ = std::move(sorted);
  inputs_.clear();
  outputs_.clear();
  for (int i : inputs) inputs_.push_back(position[static_cast<size_t>(i)]);
  for (int o : outputs) outputs_.push_back(position[static_cast<size_t>(o)]);
  layers_ = plan.layers;
  layer_names_.clear();
  for (const auto& l : layers_) layer_names_.insert(l->name());
  built_ = true;
  if (optimizer_) optimizer_->set_parameters(parameters());
  resolve_training_loss();
}

void Model::append(LayerPtr layer) {
  if (!layer) throw std::invalid_argument("Sequential::add: null layer");
  if (auto input = std::dynamic_pointer_cast<InputLayer>(layer)) {
    if (!layers_.empty() || built_)
      throw std::invalid_argument("Sequential::add: an Input must come first (the model already has " +
                                  std::string(built_ ? "an input shape" : "layers") + ")");
    declared_input_ = input;
    set_graph({GraphNode{input, {}, {}}}, {0}, {0}, true);
    return;
  }
  if (layer_names_.count(layer->name()))
    throw std::invalid_argument("Sequential::add: a layer named '" + layer->name() + "' is already in the model");
  const Shape declared = layer->declared_input_shape();
  layer->to(device_);
  if (built_) {
    const Shape in = output_shape();
    if (!declared.empty() && declared != in)
      throw std::invalid_argument("Sequential::add: " + layer->describe() + " declares input_shape " +
                                  to_string(declared) + " but receives " + to_string(in));
    layer->build(in);
    nodes_.push_back({layer, {outputs_[0]}, layer->output_shape()});
    outputs_ = {static_cast<int>(nodes_.size()) - 1};
  }
  layer_names_.insert(layer->name());
  layers_.push_back(std::move(layer));
  if (!built_ && layers_.size() == 1 && !declared.empty()) build(declared);
  if (optimizer_ && built_) optimizer_->set_parameters(parameters());
  resolve_training_loss();  // the last layer changed
}

void Model::build(const Shape& input_shape, bool initialize) {
  if (built_ && input_shape == this->input_shape()) {
    for (auto& layer : layers_)  // an Input came first: the layers were built as they came
      if (!layer->built()) throw std::logic_error("Model::build: layer " + layer->describe() + " is not built");
    return;
  }
  if (built_)
    throw std::invalid_argument("Model::build: already built for input shape " + to_string(this->input_shape()) +
                                ", not " + to_string(input_shape));
  if (layers_.empty()) throw std::logic_error("Model::build: the model has no layers");
  // A Sequential's chain, from an Input of that shape.
  std::vector<GraphNode> nodes{{Input(InputLayerOptions(input_shape).name(unique_layer_name("input_layer"))), {}, {}}};
  for (const auto& layer : layers_) nodes.push_back({layer, {static_cast<int>(nodes.size()) - 1}, {}});
  set_graph(nodes, {0}, {static_cast<int>(nodes.size()) - 1}, initialize);
}

Model& Model::to(Device device) {
  backend_for(device);  // exists, else the registry's error naming it and what there is
  for (auto& layer : layers_) layer->to(device);
  if (optimizer_) optimizer_->to(device);
  device_ = device;
  return *this;
}

const Shape& Model::input_shape() const {
  static const Shape none;
  return built_ ? nodes_[static_cast<size_t>(inputs_[0])].shape : none;
}

std::vector<Shape> Model::input_shapes() const {
  std::vector<Shape> out;
  for (int i : inputs_) out.push_back(nodes_[static_cast<size_t>(i)].shape);
  return out;
}

Shape Model::output_shape() const {
  if (!built_) throw std::logic_error("Model: the model is not built (call build or fit first)");
  return nodes_[static_cast<size_t>(outputs_[0])].shape;
}

std::vector<Shape> Model::output_shapes() const {
  if (!built_) throw std::logic_error("Model: the model is not built (call build or fit first)");
  std::vector<Shape> out;
  for (int o : outputs_) out.push_back(nodes_[static_cast<size_t>(o)].shape);
  return out;
}

std::vector<LayerPtr> Model::input_layers() const {
  std::vector<LayerPtr> out;
  for (int i : inputs_) out.push_back(nodes_[static_cast<size_t>(i)].layer);
  return out;
}

LayerPtr Model::get_layer(const std::string& name) const {
  for (const auto& l : layers_)
    if (l->name() == name) return l;
  for (const auto& l : input_layers())
    if (l->name() == name) return l;
  std::string names;
  for (const auto& l : layers_) names += (names.empty() ? "" : ", ") + l->name();
  throw std::invalid_argument("Model '" + name_ + "' has no layer named '" + name + "' (it has: " + names + ")");
}

void Model::ensure_built(const Tensor& batch_x) {
  const Shape& s = batch_x.shape();
  if (s.empty()) throw std::invalid_argument("Model: input batch has no batch dimension");
  if (!built_) build(Shape(s.begin() + 1, s.end()));
}

bool Model::ends_with_softmax() const {
  if (!built_) return !layers_.empty() && layers_.back()->ends_with_softmax();
  return outputs_.size() == 1 && nodes_[static_cast<size_t>(outputs_[0])].layer->ends_with_softmax();
}

std::string Model::summary() const {
  std::ostringstream out;
  const auto with_batch = [](const Shape& o) {
    Shape s{-1};
    s.insert(s.end(), o.begin(), o.end());
    return to_string(s);
  };
  if (sequential_ || !built_) {
    const std::string rule(65, '_'), thick(65, '=');
    out << "Model: \"" << name_ << "\"\n" << rule << "\n";
    out << fmt::format(" {:<28} {:<25} {:<10}\n", "Layer (type)", "Output Shape", "Param #");
    out << thick << "\n";
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = *layers_[i];
      const std::string shape = l.built() ? with_batch(l.output_shape()) : "(unbuilt)";
      out << fmt::format(" {:<28} {:<25} {:<10}\n", l.name() + " (" + l.type() + ")", shape, l.count_params());
      out << (i + 1 < layers_.size() ? std::string(65, ' ') : thick) << "\n";
    }
  } else {
    // One row per call of a layer, with the layers it takes (Keras's "Connected to").
    const std::string rule(98, '_'), thick(98, '=');
    out << "Model: \"" << name_ << "\"\n" << rule << "\n";
    out << fmt::format(" {:<30} {:<22} {:<10} {:<30}\n", "Layer (type)", "Output Shape", "Param #", "Connected to");
    out << thick << "\n";
    // A layer called more than once (shared weights) is named with its call: "dense[1]".
    std::unordered_map<const Layer*, int> uses, calls;
    std::vector<int> call_of(nodes_.size());
    for (const GraphNode& n : nodes_) ++uses[n.layer.get()];
    for (size_t i = 0; i < nodes_.size(); ++i) call_of[i] = calls[nodes_[i].layer.get()]++;
    const auto call_name = [&](size_t j) {
      const Layer* l = nodes_[j].layer.get();
      return uses[l] > 1 ? fmt::format("{}[{}]", l->name(), call_of[j]) : l->name();
    };
    for (size_t i = 0; i < nodes_.size(); ++i) {
      const GraphNode& n = nodes_[i];
      const bool first = call_of[i] == 0;
      std::string from;
      for (int j : n.inputs) from += (from.empty() ? "" : ", ") + call_name(static_cast<size_t>(j));
      out << fmt::format(" {:<30} {:<22} {:<10} {:<30}\n", n.layer->name() + " (" + n.layer->type() + ")",
                         with_batch(n.shape), first ? n.layer->count_params() : 0, from);
      out << (i + 1 < nodes_.size() ? std::string(98, ' ') : thick) << "\n";
    }
  }
  out << fmt::format("Total params: {}\nTrainable params: {}\nNon-trainable params: {}\n", count_params(),
                     count_trainable_params(), count_params() - count_trainable_params());
  out << std::string(sequential_ || !built_ ? 65 : 98, '_') << "\n";
  return out.str();
}

std::vector<Variable> Model::parameters() const {
  std::vector<Variable> out;
  for (const auto& l : layers_)
    for (auto& p : l->parameters()) out.push_back(p);
  return out;
}

int64_t Model::count_params() const {
  int64_t n = 0;
  for (const auto& l : layers_) n += l->count_params();
  return n;
}

int64_t Model::count_trainable_params() const {
  int64_t n = 0;
  for (const auto& p : parameters())
    if (p.requires_grad()) n += p.value().numel();
  return n;
}

std::vector<Tensor> Model::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& p : parameters()) out.push_back(p.value().clone());
  return out;
}

void Model::set_weights(const std::vector<Tensor>& weights) {
  auto params = parameters();
  if (weights.size() != params.size())
    throw std::invalid_argument(fmt::format("set_weights: {} tensors for {} parameters", weights.size(), params.size()));
  for (size_t i = 0; i < params.size(); ++i) check_shape(weights[i], params[i].shape(), "set_weights: " + params[i].name());
  for (size_t i = 0; i < params.size(); ++i) params[i].value().copy_from(weights[i]);
}

void Model::compile(AnyOptimizer optimizer, AnyLoss loss, const std::vector<std::string>& metrics) {
  compile(std::move(optimizer), std::vector<AnyLoss>{std::move(loss)}, metrics);
}

void Model::compile(AnyOptimizer any_optimizer, const std::vector<AnyLoss>& any_losses,
                    const std::vector<std::string>& metrics, const std::vector<float>& loss_weights) {
  OptimizerPtr optimizer = any_optimizer.ptr();
  if (!optimizer) throw std::invalid_argument("compile: null optimizer");
  const size_t n_out = num_outputs();
  if (any_losses.size() != 1 && any_losses.size() != n_out)
    throw std::invalid_argument(fmt::format("compile: {} losses for the model '{}' of {} outputs (give one per output, "
                                            "or one for all)", any_losses.size(), name_, n_out));
  if (!loss_weights.empty() && loss_weights.size() != n_out)
    throw std::invalid_argument(fmt::format("compile: {} loss weights for the model '{}' of {} outputs",
                                            loss_weights.size(), name_, n_out));
  for (float w : loss_weights)
    if (!std::isfinite(w) || w < 0) throw std::invalid_argument(fmt::format("compile: loss weight {} is not >= 0", w));
  std::vector<LossPtr> losses;
  for (const AnyLoss& l : any_losses) {
    if (!l.ptr()) throw std::invalid_argument("compile: null loss");
    losses.push_back(l.ptr());
  }
  for (const auto& m : metrics) make_metric(m);  // validates the names
  for (size_t k = 0; k < n_out; ++k) {
    const Loss& loss = *losses[losses.size() == 1 ? 0 : k];
    const bool softmax = built_ ? nodes_[static_cast<size_t>(outputs_[k])].layer->ends_with_softmax() : ends_with_softmax();
    if (loss.from_logits() && softmax)
      throw std::invalid_argument(
          "compile: the model ends in a softmax" + (n_out > 1 ? " at output '" + output_names()[k] + "'" : std::string()) +
          ", so its outputs are probabilities, but the loss '" + loss.name() +
          "' expects logits (from_logits=true); use from_logits=false (nn then trains on the logits before the softmax "
          "itself)");
  }
  optimizer_ = std::move(optimizer);
  losses_ = std::move(losses);
  loss_weights_ = loss_weights;
  metric_names_ = metrics;
  if (built_) optimizer_->set_parameters(parameters());
  resolve_training_loss();
}

void Model::save(const std::string& path) const { io::save_model(*this, path); }
void Model::save_weights(const std::string& path) const { io::save_weights(*this, path); }
void Model::load_weights(const std::string& path) { io::load_weights(*this, path); }

void Model::require_compiled(const char* what) const {
  if (!optimizer_) throw std::logic_error(std::string("Model::") + what + ": compile the model first");
}

void Model::require_single(const char* what) const {
  if (built_ && (inputs_.size() != 1 || outputs_.size() != 1))
    throw std::invalid_argument(fmt::format(
        "{}: the model '{}' has {} inputs and {} outputs; give one tensor per input (and one target per output)",
        what, name_, inputs_.size(), outputs_.size()));
}

Optimizer& Model::optimizer() const {
  require_compiled("optimizer");
  return *optimizer_;
}

const Loss& Model::loss() const {
  require_compiled("loss");
  return *losses_[0];
}

void Model::resolve_training_loss() {
  if (losses_.empty() || !built_) return;
  training_losses_.clear();
  on_logits_.assign(outputs_.size(), false);
  const std::vector<Shape> shapes = output_shapes();
  for (size_t k = 0; k < outputs_.size(); ++k) {
    const LossPtr& loss = losses_[losses_.size() == 1 ? 0 : k];
    const int o = outputs_[k];
    // Taken by another layer or given as a second output: its softmax output is needed, not only the logits.
    bool taken = std::count(outputs_.begin(), outputs_.end(), o) > 1;
    for (const auto& n : nodes_) taken |= std::find(n.inputs.begin(), n.inputs.end(), o) != n.inputs.end();
    on_logits_[k] = !loss->from_logits() && loss->with_logits() &&
                    nodes_[static_cast<size_t>(o)].layer->ends_with_softmax() && !taken && shapes[k].size() == 1;
    training_losses_.push_back(on_logits_[k] ? loss->with_logits() : loss);
  }
}

std::vector<std::string> Model::output_names() const {
  std::vector<std::string> names;
  for (int o : outputs_) names.push_back(nodes_[static_cast<size_t>(o)].layer->name());
  return names;
}

namespace {
// The model computes in float32: inputs of other dtypes (uint8 images) are converted on entry.
Variable float_input(const Variable& x) {
  return x.value().dtype() == kFloat32 ? x : Variable(x.value().to(kFloat32));
}
}  // namespace

std::vector<Variable> Model::run_graph(const std::vector<Variable>& xs, bool training, const std::vector<bool>& logits) {
  if (!built_) {
    if (layers_.empty()) throw std::logic_error("Model: the model has no layers");
    if (xs.size() == 1 && xs[0].shape().size() > 0) build(Shape(xs[0].shape().begin() + 1, xs[0].shape().end()));
  }
  if (xs.size() != inputs_.size())
    throw std::invalid_argument(fmt::format("Model '{}': {} inputs given, the model takes {}", name_, xs.size(),
                                            inputs_.size()));
  // Each node's output, released once its last reader has run.
  std::vector<Variable> values(nodes_.size());
  std::vector<int> readers(nodes_.size(), 0);
  for (const auto& n : nodes_)
    for (int j : n.inputs) ++readers[static_cast<size_t>(j)];
  for (int o : outputs_) ++readers[static_cast<size_t>(o)];
  for (size_t k = 0; k < inputs_.size(); ++k) {
    const auto i = static_cast<size_t>(inputs_[k]);
    values[i] = (*nodes_[i].layer)(float_input(xs[k]), training);  // checks the shape, naming the Input
  }
  std::vector<char> as_logits(nodes_.size(), 0);  // outputs computed as the logits before their softmax
  for (size_t k = 0; k < logits.size(); ++k) as_logits[static_cast<size_t>(outputs_[k])] = logits[k];
  std::vector<Variable> ins;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const GraphNode& n = nodes_[i];
    if (n.inputs.empty()) continue;  // an input
    ins.clear();
    for (int j : n.inputs) ins.push_back(values[static_cast<size_t>(j)]);
    for (int j : n.inputs)
      if (--readers[static_cast<size_t>(j)] == 0) values[static_cast<size_t>(j)] = Variable();
    values[i] = as_logits[i] ? n.layer->call_logits(ins[0], training) : n.layer->call(ins, training);
  }
  std::vector<Variable> out;
  for (int o : outputs_) out.push_back(values[static_cast<size_t>(o)]);
  return out;
}

std::vector<Variable> Model::call(const std::vector<Variable>& xs, bool training) {
  return run_graph(xs, training, {});
}

Variable Model::operator()(const Variable& x, bool training) {
  require_single("calling the model on one Variable");
  return run_graph({x}, training, {})[0];
}

}  // namespace nn
