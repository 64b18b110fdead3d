#pragma once
#include "nn/arg.hpp"
#include "nn/optim/optimizer.hpp"

namespace nn {

class RMSpropOptions {
 public:
  RMSpropOptions(double learning_rate = 0.001) : learning_rate_(learning_rate) {}  // NOLINT
  NN_ARG(double, learning_rate);
  NN_ARG(double, rho) = 0.9;
  NN_ARG(double, momentum) = 0.0;
  NN_ARG(double, epsilon) = 1e-7;
  NN_ARG(bool, centered) = false;
};

// Keras's RMSprop: v = ρ·v + (1 − ρ)·g²; (centered: a = ρ·a + (1 − ρ)·g, v' = v − a²);
// step = lr·g / sqrt(v' + ε); with momentum m = momentum·m + step, w −= m; else w −= step.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(RMSpropOptions options = {});
  std::string type() const override { return "RMSprop"; }
  Config config() const override;
  std::vector<std::string> slot_names() const override;

 protected:
  void update(size_t i, Tensor& w, const Tensor& g) override;

 private:
  RMSpropOptions o_;
};

}  // namespace nn
