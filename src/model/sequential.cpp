// Sequential: structure (add, build, summary, weights) and compile. The training loop lives in
// fit.cpp.
#include "nn/model/sequential.hpp"

#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "nn/io/model_file.hpp"
#include "nn/layers/reshape.hpp"

namespace nn {

Sequential& Callback::model() const {
  if (!model_) throw std::logic_error("callback is not attached to a model");
  return *model_;
}

Sequential::Sequential(std::string name) : name_(std::move(name)) {}

Sequential::Sequential(std::vector<LayerPtr> layers, std::string name) : name_(std::move(name)) {
  for (auto& l : layers) add(std::move(l));
}

Sequential& Sequential::add(LayerPtr layer) {
  if (!layer) throw std::invalid_argument("Sequential::add: null layer");
  if (dynamic_cast<const InputLayer*>(layer.get())) {
    if (!layers_.empty() || built_)
      throw std::invalid_argument("Sequential::add: an Input must come first (the model already has " +
                                  std::string(built_ ? "an input shape" : "layers") + ")");
    input_shape_ = layer->declared_input_shape();
    built_ = true;
    return *this;
  }
  if (layer_names_.count(layer->name()))
    throw std::invalid_argument("Sequential::add: a layer named '" + layer->name() + "' is already in the model");
  const Shape declared = layer->declared_input_shape();
  layer->to(device_);
  if (built_) {
    if (!declared.empty() && declared != output_shape())
      throw std::invalid_argument("Sequential::add: " + layer->describe() + " declares input_shape " +
                                  to_string(declared) + " but receives " + to_string(output_shape()));
    layer->build(output_shape());
  }
  layer_names_.insert(layer->name());
  layers_.push_back(std::move(layer));
  if (!built_ && layers_.size() == 1 && !declared.empty()) build(declared);
  if (optimizer_ && built_) optimizer_->set_parameters(parameters());
  resolve_training_loss();  // the last layer changed
  return *this;
}

void Sequential::build(const Shape& input_shape, bool initialize) {
  if (built_ && input_shape == input_shape_) {
    for (auto& layer : layers_)  // an Input came first: the layers were built as they came
      if (!layer->built()) throw std::logic_error("Sequential::build: layer " + layer->describe() + " is not built");
    return;
  }
  if (layers_.empty()) throw std::logic_error("Sequential::build: the model has no layers");
  if (built_) throw std::invalid_argument("Sequential::build: already built for input shape " +
                                          to_string(input_shape_) + ", not " + to_string(input_shape));
  Shape shape = input_shape;
  for (auto& layer : layers_) {
    layer->build(shape, initialize);
    shape = layer->output_shape();
  }
  input_shape_ = input_shape;
  built_ = true;
  if (optimizer_) optimizer_->set_parameters(parameters());
  resolve_training_loss();
}

Sequential& Sequential::to(Device device) {
  backend_for(device);  // exists, else the registry's error naming it and what there is
  for (auto& layer : layers_) layer->to(device);
  if (optimizer_) optimizer_->to(device);
  device_ = device;
  return *this;
}

Shape Sequential::output_shape() const {
  if (!built_) throw std::logic_error("Sequential: the model is not built (call build or fit first)");
  return layers_.empty() ? input_shape_ : layers_.back()->output_shape();
}

void Sequential::ensure_built(const Tensor& batch_x) {
  const Shape& s = batch_x.shape();
  if (s.empty()) throw std::invalid_argument("Sequential: input batch has no batch dimension");
  if (!built_) build(Shape(s.begin() + 1, s.end()));
}

std::string Sequential::summary() const {
  std::ostringstream out;
  const std::string rule(65, '_'), thick(65, '=');
  out << "Model: \"" << name_ << "\"\n" << rule << "\n";
  out << fmt::format(" {:<28} {:<25} {:<10}\n", "Layer (type)", "Output Shape", "Param #");
  out << thick << "\n";
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = *layers_[i];
    std::string shape = "(unbuilt)";
    if (l.built()) {
      Shape s{-1};
      const Shape o = l.output_shape();
      s.insert(s.end(), o.begin(), o.end());
      shape = to_string(s);
    }
    out << fmt::format(" {:<28} {:<25} {:<10}\n", l.name() + " (" + l.type() + ")", shape, l.count_params());
    out << (i + 1 < layers_.size() ? std::string(65, ' ') : thick) << "\n";
  }
  out << fmt::format("Total params: {}\nTrainable params: {}\nNon-trainable params: {}\n", count_params(),
                     count_trainable_params(), count_params() - count_trainable_params());
  out << rule << "\n";
  return out.str();
}

std::vector<Variable> Sequential::parameters() const {
  std::vector<Variable> out;
  for (const auto& l : layers_)
    for (auto& p : l->parameters()) out.push_back(p);
  return out;
}

int64_t Sequential::count_params() const {
  int64_t n = 0;
  for (const auto& l : layers_) n += l->count_params();
  return n;
}

int64_t Sequential::count_trainable_params() const {
  int64_t n = 0;
  for (const auto& p : parameters())
    if (p.requires_grad()) n += p.value().numel();
  return n;
}

std::vector<Tensor> Sequential::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& p : parameters()) out.push_back(p.value().clone());
  return out;
}

void Sequential::set_weights(const std::vector<Tensor>& weights) {
  auto params = parameters();
  if (weights.size() != params.size())
    throw std::invalid_argument(fmt::format("set_weights: {} tensors for {} parameters", weights.size(), params.size()));
  for (size_t i = 0; i < params.size(); ++i) check_shape(weights[i], params[i].shape(), "set_weights: " + params[i].name());
  for (size_t i = 0; i < params.size(); ++i) params[i].value().copy_from(weights[i]);
}

void Sequential::compile(AnyOptimizer any_optimizer, AnyLoss any_loss, const std::vector<std::string>& metrics) {
  OptimizerPtr optimizer = any_optimizer.ptr();
  LossPtr loss = any_loss.ptr();
  if (!optimizer) throw std::invalid_argument("compile: null optimizer");
  if (!loss) throw std::invalid_argument("compile: null loss");
  for (const auto& m : metrics) make_metric(m);  // validates the names
  if (loss->from_logits() && ends_with_softmax())
    throw std::invalid_argument("compile: the model ends in a softmax, so its outputs are probabilities, but the loss '" +
                                loss->name() + "' expects logits (from_logits=true); use from_logits=false (nn then "
                                "trains on the logits before the softmax itself)");
  optimizer_ = std::move(optimizer);
  loss_ = std::move(loss);
  metric_names_ = metrics;
  if (built_) optimizer_->set_parameters(parameters());
  resolve_training_loss();
}

void Sequential::save(const std::string& path) const { io::save_model(*this, path); }
void Sequential::save_weights(const std::string& path) const { io::save_weights(*this, path); }
void Sequential::load_weights(const std::string& path) { io::load_weights(*this, path); }

void Sequential::require_compiled(const char* what) const {
  if (!optimizer_) throw std::logic_error(std::string("Sequential::") + what + ": compile the model first");
}

Optimizer& Sequential::optimizer() const {
  require_compiled("optimizer");
  return *optimizer_;
}

const Loss& Sequential::loss() const {
  require_compiled("loss");
  return *loss_;
}

void Sequential::resolve_training_loss() {
  if (!loss_ || !built_) return;
  train_on_logits_ = !loss_->from_logits() && loss_->with_logits() && ends_with_softmax() && output_shape().size() == 1;
  training_loss_ = train_on_logits_ ? loss_->with_logits() : loss_;
}

namespace {
// The model computes in float32: inputs of other dtypes (uint8 images) are converted on entry.
Variable float_input(const Variable& x) {
  return x.value().dtype() == kFloat32 ? x : Variable(x.value().to(kFloat32));
}
}  // namespace

Variable Sequential::operator()(const Variable& x, bool training) {
  if (layers_.empty()) throw std::logic_error("Sequential: the model has no layers");
  Variable h = float_input(x);
  for (auto& l : layers_) h = (*l)(h, training);
  return h;
}

Variable Sequential::forward_for_loss(const Variable& x, bool training) {
  if (!train_on_logits_) return (*this)(x, training);
  Variable h = float_input(x);
  for (size_t i = 0; i + 1 < layers_.size(); ++i) h = (*layers_[i])(h, training);
  return layers_.back()->call_logits(h, training);
}

}  // namespace nn
