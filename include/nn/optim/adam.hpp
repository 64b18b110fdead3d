#pragma once
#include "nn/arg.hpp"
#include "nn/optim/optimizer.hpp"

namespace nn {

// Where Adam's epsilon goes. Keras adds it to sqrt(v) before the bias correction:
//   w −= lr·sqrt(1 − β2^t)/(1 − β1^t) · m / (sqrt(v) + ε)
// PyTorch adds it after: w −= lr/(1 − β1^t) · m / (sqrt(v / (1 − β2^t)) + ε), which is the same
// with ε scaled by sqrt(1 − β2^t). The two differ only while sqrt(v) is comparable to ε (gradients
// near 1e-7; then by up to 90% in the first steps). Choose PyTorch to reproduce a PyTorch run.
enum class AdamEpsilon { Keras, PyTorch };

class AdamOptions {
 public:
  AdamOptions(double learning_rate = 0.001) : learning_rate_(learning_rate) {}  // NOLINT
  NN_ARG(double, learning_rate);
  NN_ARG(double, beta_1) = 0.9;
  NN_ARG(double, beta_2) = 0.999;
  NN_ARG(double, epsilon) = 1e-7;      // Keras's default (PyTorch's is 1e-8)
  NN_ARG(double, weight_decay) = 0.0;  // L2, added to the gradient (PyTorch's Adam); see AdamW
  NN_ARG(AdamEpsilon, epsilon_convention) = AdamEpsilon::Keras;
};

// Keras's Adam: m += (g − m)(1 − β1); v += (g² − v)(1 − β2); the update as AdamEpsilon says.
//   nn::Adam()   nn::Adam(1e-4)   nn::Adam(nn::AdamOptions(1e-3).epsilon(1e-8))
class Adam : public Optimizer {
 public:
  explicit Adam(AdamOptions options = {});
  std::string type() const override { return "Adam"; }
  Config config() const override;
  std::vector<std::string> slot_names() const override { return {"m", "v"}; }
  const AdamOptions& options() const { return o_; }

 protected:
  void update(size_t i, Tensor& w, const Tensor& g) override;
  // Decoupled weight decay per step (AdamW), as a fraction of lr.
  virtual double decoupled_weight_decay() const { return 0.0; }

  AdamOptions o_;
};

class AdamWOptions {
 public:
  AdamWOptions(double learning_rate = 0.001) : learning_rate_(learning_rate) {}  // NOLINT
  NN_ARG(double, learning_rate);
  NN_ARG(double, weight_decay) = 0.004;  // Keras's default (PyTorch's is 0.01)
  NN_ARG(double, beta_1) = 0.9;
  NN_ARG(double, beta_2) = 0.999;
  NN_ARG(double, epsilon) = 1e-7;
  NN_ARG(AdamEpsilon, epsilon_convention) = AdamEpsilon::Keras;
};

// Adam with decoupled weight decay (Loshchilov & Hutter): each step first shrinks the weights,
// w −= lr·weight_decay·w, then applies Adam's update to the plain gradient (Keras's and PyTorch's
// AdamW).
class AdamW : public Adam {
 public:
  explicit AdamW(AdamWOptions options = {});
  std::string type() const override { return "AdamW"; }
  Config config() const override;

 protected:
  double decoupled_weight_decay() const override { return weight_decay_; }

 private:
  double weight_decay_;
};

}  // namespace nn
