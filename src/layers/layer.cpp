#include "nn/layers/layer.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include "nn/layers/initializers.hpp"

namespace nn {

namespace {
std::mutex g_names_mutex;
std::map<std::string, int> g_name_counts;
}  // namespace

std::string unique_layer_name(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(g_names_mutex);
  const int n = g_name_counts[prefix]++;
  return n == 0 ? prefix : prefix + "_" + std::to_string(n);
}

Layer::Layer(const std::string& prefix, const LayerArgs& args)
    : name_(args.name.empty() ? unique_layer_name(prefix) : args.name),
      trainable_(args.trainable),
      declared_input_shape_(args.input_shape) {
  // (type() is not callable while Layer itself is being built: the message names the layer.)
  for (int64_t d : declared_input_shape_)
    if (d < 1) fail("input_shape " + to_string(declared_input_shape_) + " must have positive extents", "layer");
}

void Layer::fail(const std::string& message) const { fail(message, type()); }

void Layer::fail(const std::string& message, const std::string& type) const {
  throw std::invalid_argument(type + " '" + name_ + "': " + message);
}

void Layer::build(const Shape& input_shape, bool initialize) {
  if (built_) {
    if (input_shape != input_shape_)
      fail("already built for input shape " + to_string(input_shape_) + ", cannot rebuild for " +
           to_string(input_shape));
    return;
  }
  compute_output_shape(input_shape);  // validates
  for (WeightSpec& spec : weight_specs(input_shape)) {
    Tensor value;
    try {
      value = initialize ? spec.initializer(spec.shape, spec.fan_in, spec.fan_out).to(device_)
                         : Tensor(spec.shape, device_);
    } catch (const std::invalid_argument& e) {
      fail(spec.name + ": " + e.what());
    }
    Variable v(std::move(value), trainable_ && spec.trainable);
    v.set_name(name_ + "/" + spec.name);
    params_.emplace_back(std::move(spec.name), std::move(v));
    param_trainable_.push_back(spec.trainable);
  }
  input_shape_ = input_shape;
  input_shapes_ = {input_shape};
  built_ = true;
}

Shape Layer::output_shape_of(const std::vector<Shape>& input_shapes) const {
  if (takes_list()) return list_output_shape(input_shapes);
  if (input_shapes.size() != 1)
    fail("takes one input, got " + std::to_string(input_shapes.size()));
  return compute_output_shape(input_shapes[0]);
}

Shape Layer::list_output_shape(const std::vector<Shape>&) const { fail("takes one input, not a list"); }

Variable Layer::forward_list(const std::vector<Variable>&, bool) { fail("takes one input, not a list"); }

void Layer::build_list(const std::vector<Shape>& input_shapes, bool initialize) {
  if (!takes_list()) {
    if (input_shapes.size() != 1) fail("takes one input, got " + std::to_string(input_shapes.size()));
    build(input_shapes[0], initialize);
    return;
  }
  if (built_) {
    if (input_shapes != input_shapes_) {
      std::string got;
      for (const Shape& s : input_shapes) got += (got.empty() ? "" : ", ") + to_string(s);
      std::string had;
      for (const Shape& s : input_shapes_) had += (had.empty() ? "" : ", ") + to_string(s);
      fail("already built for input shapes [" + had + "], cannot rebuild for [" + got + "]");
    }
    return;
  }
  list_output_shape(input_shapes);  // validates
  for (WeightSpec& spec : weight_specs(input_shapes.empty() ? Shape{} : input_shapes[0]))
    fail("a layer of several inputs cannot declare weights (" + spec.name + ")");
  (void)initialize;
  input_shapes_ = input_shapes;
  input_shape_ = input_shapes.empty() ? Shape{} : input_shapes[0];
  built_ = true;
}

Variable Layer::call(const std::vector<Variable>& xs, bool training) {
  if (!takes_list()) {
    if (xs.size() != 1) fail("takes one input, got " + std::to_string(xs.size()));
    return (*this)(xs[0], training);
  }
  std::vector<Shape> features;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    if (s.empty()) fail("input " + std::to_string(i) + " has no batch dimension: shape " + to_string(s));
    if (s[0] != xs[0].shape()[0])
      fail("inputs of different batch sizes: " + to_string(xs[0].shape()) + " and " + to_string(s));
    features.emplace_back(s.begin() + 1, s.end());
  }
  build_list(features);  // builds, or checks them against the shapes it was built for
  return forward_list(xs, training);
}

LayerArgs read_layer_args(ConfigReader& c) {
  LayerArgs a;
  a.name = c.string("name", "");
  a.input_shape = c.integers("input_shape", {});
  a.trainable = c.boolean("trainable", true);
  return a;
}

void Layer::check_size(int64_t value, const char* what) const { check_size(value, what, type()); }

void Layer::check_size(int64_t value, const char* what, const std::string& type) const {
  if (value < 1 || value > int64_t{0x7fffffff})
    fail(std::string(what) + " must be in [1, 2147483647], got " + std::to_string(value), type);
}

Variable Layer::operator()(const Variable& x, bool training) {
  check_input(x);
  return forward(x, training);
}

Variable Layer::call_logits(const Variable& x, bool training) {
  check_input(x);
  return forward_logits(x, training);
}

Variable Layer::forward_logits(const Variable&, bool) { fail("does not end with a softmax"); }

void Layer::check_input(const Variable& x) {
  const Shape& s = x.shape();
  if (s.empty()) fail("input has no batch dimension: shape " + to_string(s));
  const Shape features(s.begin() + 1, s.end());
  if (!built_) build(features);
  if (features != input_shape_) {
    Shape expected{-1};
    expected.insert(expected.end(), input_shape_.begin(), input_shape_.end());
    fail("expected input shape " + to_string(expected) + ", got " + to_string(s));
  }
}

Config Layer::config() const {
  Config c = hyper_parameters();
  c["name"] = name_;
  c["trainable"] = trainable_;
  if (!declared_input_shape_.empty()) c["input_shape"] = declared_input_shape_;
  return c;
}

void Layer::set_trainable(bool on) {
  trainable_ = on;
  for (size_t i = 0; i < params_.size(); ++i) params_[i].second.set_requires_grad(on && param_trainable_[i]);
}

void Layer::to(Device device) {
  for (auto& [name, p] : params_) p.move_to(device);
  device_ = device;
}

std::vector<Variable> Layer::parameters() const {
  std::vector<Variable> out;
  for (const auto& [n, p] : params_) out.push_back(p);
  return out;
}

std::vector<Variable> Layer::trainable_parameters() const {
  std::vector<Variable> out;
  for (const auto& [n, p] : params_)
    if (p.requires_grad()) out.push_back(p);
  return out;
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const auto& [name, p] : params_) n += p.value().numel();
  return n;
}

Variable Layer::weight(const std::string& name) const {
  for (const auto& [n, v] : params_)
    if (n == name) return v;
  return {};
}

}  // namespace nn
