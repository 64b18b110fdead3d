#pragma once
#include "nn/arg.hpp"
#include "nn/optim/optimizer.hpp"

namespace nn {

class SGDOptions {
 public:
  SGDOptions(double learning_rate = 0.01) : learning_rate_(learning_rate) {}  // NOLINT
  NN_ARG(double, learning_rate);
  NN_ARG(double, momentum) = 0.0;
  NN_ARG(bool, nesterov) = false;
  NN_ARG(double, weight_decay) = 0.0;  // L2: adds weight_decay * w to the gradient, as PyTorch's SGD
};

// Keras's SGD: v = momentum·v − lr·g; w += v, or with Nesterov w += momentum·v − lr·g.
//   nn::SGD(0.1)   nn::SGD(nn::SGDOptions(0.1).momentum(0.9).nesterov(true))
class SGD : public Optimizer {
 public:
  explicit SGD(SGDOptions options = {});
  SGD(double learning_rate, double momentum, bool nesterov = false, double weight_decay = 0.0)
      : SGD(SGDOptions(learning_rate).momentum(momentum).nesterov(nesterov).weight_decay(weight_decay)) {}
  std::string type() const override { return "SGD"; }
  Config config() const override;
  std::vector<std::string> slot_names() const override;

 protected:
  void update(size_t i, Tensor& w, const Tensor& g) override;

 private:
  SGDOptions o_;
};

}  // namespace nn
