#include "nn/optim/optimizer.hpp"

#include <cmath>
#include <stdexcept>

#include "nn/backend/backend.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"

namespace nn {

Optimizer::Optimizer(float learning_rate) : lr_(learning_rate) { set_learning_rate(learning_rate); }

void Optimizer::set_learning_rate(float lr) {
  if (!(lr >= 0.0f) || !std::isfinite(lr))
    throw std::invalid_argument(std::string("optimizer: learning rate must be finite and >= 0, got ") + std::to_string(lr));
  lr_ = lr;
}

void Optimizer::set_parameters(std::vector<Variable> params) {
  params_ = std::move(params);
  slots_.clear();
}

Tensor& Optimizer::slot(const std::string& name, size_t i) {
  auto& v = slots_[name];
  if (v.size() != params_.size()) v.resize(params_.size());
  if (!v[i].defined()) v[i] = Tensor::zeros(params_[i].shape(), params_[i].device());
  return v[i];
}

void Optimizer::step() {
  for (size_t i = 0; i < params_.size(); ++i) {
    Variable& p = params_[i];
    if (!p.requires_grad() || !p.has_grad()) continue;
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
      out.push_back(have ? it->second[i].clone() : Tensor::zeros(params_[i].shape(), params_[i].device()));
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
      throw std::invalid_argument(type() + " state: slot '" + name + "' has " + std::to_string(it->second.size()) +
                                  " tensors for " + std::to_string(params_.size()) + " parameters");
    for (size_t i = 0; i < params_.size(); ++i) {
      check_shape(it->second[i], params_[i].shape(), type() + " state slot '" + name + "'");
      slots[name].push_back(it->second[i].to(params_[i].device()).clone());
    }
  }
  if (s.iterations < 0) throw std::invalid_argument(type() + " state: negative iteration count");
  set_learning_rate(s.learning_rate);
  iterations_ = s.iterations;
  slots_ = std::move(slots);
}

OptimizerPtr create_optimizer(const std::string& type, const Config& c) {
  const auto lr = static_cast<float>(config_double(c, "learning_rate"));
  if (type == "SGD")
    return std::make_shared<SGD>(lr, static_cast<float>(config_double(c, "momentum")),
                                 config_bool(c, "nesterov"), static_cast<float>(config_double(c, "weight_decay")));
  if (type == "Adam")
    return std::make_shared<Adam>(lr, static_cast<float>(config_double(c, "beta_1")),
                                  static_cast<float>(config_double(c, "beta_2")),
                                  static_cast<float>(config_double(c, "epsilon")),
                                  static_cast<float>(config_double(c, "weight_decay")));
  throw std::invalid_argument("unknown optimizer '" + type + "' (expected SGD or Adam)");
}

// ---------------------------------------------------------------- SGD

SGD::SGD(float learning_rate, float momentum, bool nesterov, float weight_decay)
    : Optimizer(learning_rate), momentum_(momentum), nesterov_(nesterov), weight_decay_(weight_decay) {
  if (!(momentum >= 0.0f && momentum < 1.0f)) throw std::invalid_argument("SGD: momentum must be in [0, 1)");
  if (!(weight_decay >= 0.0f) || !std::isfinite(weight_decay))
    throw std::invalid_argument("SGD: weight_decay must be >= 0");
}

Config SGD::config() const {
  return {{"learning_rate", static_cast<double>(lr_)},
          {"momentum", static_cast<double>(momentum_)},
          {"nesterov", nesterov_},
          {"weight_decay", static_cast<double>(weight_decay_)}};
}

std::vector<std::string> SGD::slot_names() const {
  return momentum_ > 0.0f ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
}

void SGD::update(size_t i, Tensor& w, const Tensor& g) {
  float* velocity = momentum_ > 0.0f ? slot("momentum", i).data() : nullptr;
  backend_for(w.device()).sgd_update({lr_, momentum_, weight_decay_, nesterov_}, w.data(), g.data(), velocity,
                                     w.numel());
}

// ---------------------------------------------------------------- Adam

Adam::Adam(float learning_rate, float beta1, float beta2, float epsilon, float weight_decay)
    : Optimizer(learning_rate), beta1_(beta1), beta2_(beta2), epsilon_(epsilon), weight_decay_(weight_decay) {
  if (!(beta1 >= 0.0f && beta1 < 1.0f) || !(beta2 >= 0.0f && beta2 < 1.0f))
    throw std::invalid_argument("Adam: beta_1 and beta_2 must be in [0, 1)");
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon)) throw std::invalid_argument("Adam: epsilon must be > 0");
  if (!(weight_decay >= 0.0f) || !std::isfinite(weight_decay))
    throw std::invalid_argument("Adam: weight_decay must be >= 0");
}

Config Adam::config() const {
  return {{"learning_rate", static_cast<double>(lr_)},
          {"beta_1", static_cast<double>(beta1_)},
          {"beta_2", static_cast<double>(beta2_)},
          {"epsilon", static_cast<double>(epsilon_)},
          {"weight_decay", static_cast<double>(weight_decay_)}};
}

void Adam::update(size_t i, Tensor& w, const Tensor& g) {
  Tensor& m = slot("m", i);
  Tensor& v = slot("v", i);
  backend_for(w.device()).adam_update({lr_, beta1_, beta2_, epsilon_, weight_decay_, iterations_ + 1}, w.data(),
                                      g.data(), m.data(), v.data(), w.numel());
}

}  // namespace nn
