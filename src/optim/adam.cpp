#include "nn/optim/adam.hpp"

#include <cmath>
#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {
void check(double beta1, double beta2, double epsilon, double weight_decay, const char* who) {
  const std::string w = who;
  if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0))
    throw std::invalid_argument(w + ": beta_1 and beta_2 must be in [0, 1)");
  if (!(epsilon > 0.0) || !std::isfinite(epsilon)) throw std::invalid_argument(w + ": epsilon must be > 0");
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay))
    throw std::invalid_argument(w + ": weight_decay must be >= 0");
}
}  // namespace

Adam::Adam(AdamOptions o) : Optimizer(static_cast<float>(o.learning_rate())), o_(o) {
  check(o.beta_1(), o.beta_2(), o.epsilon(), o.weight_decay(), "Adam");
}

Config Adam::config() const {
  return {{"learning_rate", static_cast<double>(lr_)},
          {"beta_1", o_.beta_1()},
          {"beta_2", o_.beta_2()},
          {"epsilon", o_.epsilon()},
          {"weight_decay", o_.weight_decay()},
          {"epsilon_convention", o_.epsilon_convention() == AdamEpsilon::PyTorch ? "pytorch" : "keras"}};
}

void Adam::update(size_t i, Tensor& w, const Tensor& g) {
  Tensor& m = slot("m", i);
  Tensor& v = slot("v", i);
  const AdamParams p{lr_,
                     static_cast<float>(o_.beta_1()),
                     static_cast<float>(o_.beta_2()),
                     static_cast<float>(o_.epsilon()),
                     static_cast<float>(o_.weight_decay()),
                     static_cast<float>(decoupled_weight_decay()),
                     iterations_ + 1,
                     o_.epsilon_convention() == AdamEpsilon::PyTorch};
  backend_for(w.device()).adam_update(p, w.data_ptr(), g.data_ptr(), m.data_ptr(), v.data_ptr(), w.numel());
}

AdamW::AdamW(AdamWOptions o)
    : Adam(AdamOptions(o.learning_rate())
               .beta_1(o.beta_1())
               .beta_2(o.beta_2())
               .epsilon(o.epsilon())
               .epsilon_convention(o.epsilon_convention())),
      weight_decay_(o.weight_decay()) {
  check(o.beta_1(), o.beta_2(), o.epsilon(), o.weight_decay(), "AdamW");
}

Config AdamW::config() const {
  Config c = Adam::config();
  c["weight_decay"] = weight_decay_;
  return c;
}

}  // namespace nn
