#include "nn/optim/optimizer.hpp"

#include "nn/registry.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

#include "nn/optim/adagrad.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/rmsprop.hpp"
#include "nn/optim/sgd.hpp"

namespace nn {

Optimizer::Optimizer(float learning_rate) : lr_(learning_rate) { set_learning_rate(learning_rate); }

namespace {
float checked_learning_rate(double lr) {
  if (!(lr >= 0.0) || !std::isfinite(lr) || lr > 3.4e38)
    throw std::invalid_argument(std::string("optimizer: learning rate must be finite and >= 0, got ") +
                                std::to_string(lr));
  return static_cast<float>(lr);
}
}  // namespace

void Optimizer::set_learning_rate(float lr) {
  if (schedule_)
    throw std::logic_error(type() + ": the learning rate follows a " + schedule_->type() +
                           " schedule; clear_schedule() first to set it by hand");
  lr_ = checked_learning_rate(lr);
}

void Optimizer::apply_schedule() {
  if (schedule_) lr_ = checked_learning_rate((*schedule_)(iterations_));
}

void Optimizer::set_schedule(AnySchedule schedule) {
  schedule_ = schedule.ptr();
  apply_schedule();
}

void Optimizer::set_parameters(std::vector<Variable> params) {
  params_ = std::move(params);
  slots_.clear();
}

void Optimizer::to(Device device) {
  for (auto& [name, tensors] : slots_)
    for (Tensor& t : tensors)
      if (t.defined()) t = t.to(device);
}

Tensor& Optimizer::slot(const std::string& name, size_t i, float initial) {
  auto& v = slots_[name];
  if (v.size() != params_.size()) v.resize(params_.size());
  if (!v[i].defined()) v[i] = Tensor::full(params_[i].shape(), initial, params_[i].device());
  return v[i];
}

void Optimizer::step() {
  apply_schedule();
  for (size_t i = 0; i < params_.size(); ++i) {
    Variable& p = params_[i];
    if (!p.requires_grad() || !p.has_grad()) continue;
    check_same_device(type() + " step: " + p.name() + " and its gradient", p.value(), p.grad());
    update(i, p.value(), p.grad());
  }
  ++iterations_;
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

OptimizerState Optimizer::state() const {
  OptimizerState s;
  s.iterations = iterations_;
  s.learning_rate = lr_;
  for (const auto& name : slot_names()) {
    auto& out = s.slots[name];
    auto it = slots_.find(name);
    for (size_t i = 0; i < params_.size(); ++i) {
      const bool have = it != slots_.end() && i < it->second.size() && it->second[i].defined();
      // A slot never touched (a frozen parameter) is saved as it would start.
      out.push_back(have ? it->second[i].clone()
                         : Tensor::full(params_[i].shape(), slot_initial_value(name), params_[i].device()));
    }
  }
  return s;
}

void Optimizer::load_state(const OptimizerState& s) {
  std::map<std::string, std::vector<Tensor>> slots;
  for (const auto& name : slot_names()) {
    auto it = s.slots.find(name);
    if (it == s.slots.end()) throw std::invalid_argument(type() + " state: missing slot '" + name + "'");
    if (it->second.size() != params_.size())
      throw std::invalid_argument(type() + " state: slot '" + name + "' has " +
                                  std::to_string(it->second.size()) + " tensors for " +
                                  std::to_string(params_.size()) + " parameters");
    for (size_t i = 0; i < params_.size(); ++i) {
      check_shape(it->second[i], params_[i].shape(), type() + " state slot '" + name + "'");
      slots[name].push_back(it->second[i].to(params_[i].device()).clone());
    }
  }
  if (s.iterations < 0) throw std::invalid_argument(type() + " state: negative iteration count");
  lr_ = checked_learning_rate(s.learning_rate);
  iterations_ = s.iterations;
  apply_schedule();
  slots_ = std::move(slots);
}

// ---------------------------------------------------------------- by name

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}
}  // namespace

namespace {
AdamEpsilon epsilon_convention(ConfigReader& c, const std::string& name) {
  const std::string conv = c.string("epsilon_convention", "keras");
  if (conv != "keras" && conv != "pytorch")
    throw std::invalid_argument("optimizer " + name + ": epsilon_convention '" + conv + "' (expected keras or pytorch)");
  return conv == "pytorch" ? AdamEpsilon::PyTorch : AdamEpsilon::Keras;
}

template <class Options>
Options adam_options(ConfigReader& c, const std::string& name, double weight_decay) {
  return Options(c.number("learning_rate", 0.001))
      .beta_1(c.number("beta_1", 0.9))
      .beta_2(c.number("beta_2", 0.999))
      .epsilon(c.number("epsilon", 1e-7))
      .weight_decay(c.number("weight_decay", weight_decay))
      .epsilon_convention(epsilon_convention(c, name));
}

Registry<OptimizerFactory>& optimizers() {
  static Registry<OptimizerFactory>* r = [] {
    auto* reg = new Registry<OptimizerFactory>("optimizer", "nn::register_optimizer");
    reg->add("sgd", [](const std::string& name, const Config& config) -> OptimizerPtr {
      ConfigReader c(config, "optimizer " + name);
      SGDOptions o(c.number("learning_rate", 0.01));
      o.momentum(c.number("momentum", 0.0)).nesterov(c.boolean("nesterov", false)).weight_decay(c.number("weight_decay", 0.0));
      c.done();
      return std::make_shared<SGD>(o);
    });
    reg->add("adam", [](const std::string& name, const Config& config) -> OptimizerPtr {
      ConfigReader c(config, "optimizer " + name);
      auto opt = std::make_shared<Adam>(adam_options<AdamOptions>(c, name, 0.0));
      c.done();
      return opt;
    });
    reg->add("adamw", [](const std::string& name, const Config& config) -> OptimizerPtr {
      ConfigReader c(config, "optimizer " + name);
      auto opt = std::make_shared<AdamW>(adam_options<AdamWOptions>(c, name, 0.004));
      c.done();
      return opt;
    });
    reg->add("rmsprop", [](const std::string& name, const Config& config) -> OptimizerPtr {
      ConfigReader c(config, "optimizer " + name);
      RMSpropOptions o(c.number("learning_rate", 0.001));
      o.rho(c.number("rho", 0.9)).momentum(c.number("momentum", 0.0)).epsilon(c.number("epsilon", 1e-7));
      o.centered(c.boolean("centered", false));
      c.done();
      return std::make_shared<RMSprop>(o);
    });
    reg->add("adagrad", [](const std::string& name, const Config& config) -> OptimizerPtr {
      ConfigReader c(config, "optimizer " + name);
      AdagradOptions o(c.number("learning_rate", 0.001));
      o.initial_accumulator_value(c.number("initial_accumulator_value", 0.1)).epsilon(c.number("epsilon", 1e-7));
      c.done();
      return std::make_shared<Adagrad>(o);
    });
    return reg;
  }();
  return *r;
}
}  // namespace

OptimizerPtr create_optimizer(const std::string& name, const Config& config) {
  return optimizers().get(lower(name))(name, config);
}

void register_optimizer(const std::string& name, OptimizerFactory factory) {
  optimizers().add(lower(name), std::move(factory));
}

}  // namespace nn
