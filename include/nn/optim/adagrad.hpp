#pragma once
#include "nn/arg.hpp"
#include "nn/optim/optimizer.hpp"

namespace nn {

class AdagradOptions {
 public:
  AdagradOptions(double learning_rate = 0.001) : learning_rate_(learning_rate) {}  // NOLINT
  NN_ARG(double, learning_rate);
  NN_ARG(double, initial_accumulator_value) = 0.1;
  NN_ARG(double, epsilon) = 1e-7;
};

// Keras's Adagrad: a += g²; w −= lr·g / sqrt(a + ε), a starting at initial_accumulator_value.
class Adagrad : public Optimizer {
 public:
  explicit Adagrad(AdagradOptions options = {});
  std::string type() const override { return "Adagrad"; }
  Config config() const override;
  std::vector<std::string> slot_names() const override { return {"accumulator"}; }
  float slot_initial_value(const std::string& slot) const override;

 protected:
  void update(size_t i, Tensor& w, const Tensor& g) override;

 private:
  AdagradOptions o_;
};

}  // namespace nn
