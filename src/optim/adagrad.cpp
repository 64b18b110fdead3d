#include "nn/optim/adagrad.hpp"

#include <cmath>
#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {

Adagrad::Adagrad(AdagradOptions o) : Optimizer(static_cast<float>(o.learning_rate())), o_(o) {
  if (!(o.initial_accumulator_value() >= 0.0) || !std::isfinite(o.initial_accumulator_value()))
    throw std::invalid_argument("Adagrad: initial_accumulator_value must be >= 0");
  if (!(o.epsilon() > 0.0) || !std::isfinite(o.epsilon()))
    throw std::invalid_argument("Adagrad: epsilon must be > 0");
}

Config Adagrad::config() const {
  return {{"learning_rate", static_cast<double>(lr_)},
          {"initial_accumulator_value", o_.initial_accumulator_value()},
          {"epsilon", o_.epsilon()}};
}

float Adagrad::slot_initial_value(const std::string&) const {
  return static_cast<float>(o_.initial_accumulator_value());
}

void Adagrad::update(size_t i, Tensor& w, const Tensor& g) {
  float* acc = slot("accumulator", i, static_cast<float>(o_.initial_accumulator_value())).data_ptr();
  backend_for(w.device())
      .adagrad_update({lr_, static_cast<float>(o_.epsilon())}, w.data_ptr(), g.data_ptr(), acc, w.numel());
}

}  // namespace nn
