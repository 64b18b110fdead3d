#include "nn/optim/sgd.hpp"

#include <cmath>
#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {

SGD::SGD(SGDOptions o) : Optimizer(static_cast<float>(o.learning_rate())), o_(o) {
  if (!(o.momentum() >= 0.0 && o.momentum() < 1.0))
    throw std::invalid_argument("SGD: momentum must be in [0, 1)");
  if (!(o.weight_decay() >= 0.0) || !std::isfinite(o.weight_decay()))
    throw std::invalid_argument("SGD: weight_decay must be >= 0");
}

Config SGD::config() const {
  return {{"learning_rate", static_cast<double>(lr_)},
          {"momentum", o_.momentum()},
          {"nesterov", o_.nesterov()},
          {"weight_decay", o_.weight_decay()}};
}

std::vector<std::string> SGD::slot_names() const {
  return o_.momentum() > 0.0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
}

void SGD::update(size_t i, Tensor& w, const Tensor& g) {
  float* velocity = o_.momentum() > 0.0 ? slot("momentum", i).data_ptr() : nullptr;
  const SgdParams p{lr_, static_cast<float>(o_.momentum()), static_cast<float>(o_.weight_decay()),
                    o_.nesterov()};
  backend_for(w.device()).sgd_update(p, w.data_ptr(), g.data_ptr(), velocity, w.numel());
}

}  // namespace nn
