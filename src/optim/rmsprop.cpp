#include "nn/optim/rmsprop.hpp"

#include <cmath>
#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {

RMSprop::RMSprop(RMSpropOptions o) : Optimizer(static_cast<float>(o.learning_rate())), o_(o) {
  if (!(o.rho() >= 0.0 && o.rho() < 1.0)) throw std::invalid_argument("RMSprop: rho must be in [0, 1)");
  if (!(o.momentum() >= 0.0 && o.momentum() < 1.0))
    throw std::invalid_argument("RMSprop: momentum must be in [0, 1)");
  if (!(o.epsilon() > 0.0) || !std::isfinite(o.epsilon()))
    throw std::invalid_argument("RMSprop: epsilon must be > 0");
}

Config RMSprop::config() const {
  return {{"learning_rate", static_cast<double>(lr_)},
          {"rho", o_.rho()},
          {"momentum", o_.momentum()},
          {"epsilon", o_.epsilon()},
          {"centered", o_.centered()}};
}

std::vector<std::string> RMSprop::slot_names() const {
  std::vector<std::string> s{"velocity"};
  if (o_.momentum() > 0.0) s.push_back("momentum");
  if (o_.centered()) s.push_back("average_gradient");
  return s;
}

void RMSprop::update(size_t i, Tensor& w, const Tensor& g) {
  float* v = slot("velocity", i).data_ptr();
  float* mom = o_.momentum() > 0.0 ? slot("momentum", i).data_ptr() : nullptr;
  float* avg = o_.centered() ? slot("average_gradient", i).data_ptr() : nullptr;
  const RmspropParams p{lr_, static_cast<float>(o_.rho()), static_cast<float>(o_.momentum()),
                        static_cast<float>(o_.epsilon()), o_.centered()};
  backend_for(w.device()).rmsprop_update(p, w.data_ptr(), g.data_ptr(), v, avg, mom, w.numel());
}

}  // namespace nn
