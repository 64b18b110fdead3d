#pragma once
#include "nn/optim/optimizer.hpp"

namespace nn {

// Keras's Adam: m += (g − m)(1 − β1); v += (g² − v)(1 − β2);
// w −= lr·sqrt(1 − β2^t)/(1 − β1^t) · m / (sqrt(v) + ε), t = 1, 2, ...
// Keras's defaults: lr 0.001, β1 0.9, β2 0.999, ε 1e-7.
class Adam : public Optimizer {
 public:
  explicit Adam(float learning_rate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f,
                float epsilon = 1e-7f, float weight_decay = 0.0f);
  std::string type() const override { return "Adam"; }
  Config config() const override;
  std::vector<std::string> slot_names() const override { return {"m", "v"}; }

 protected:
  void update(size_t i, Tensor& w, const Tensor& g) override;

 private:
  float beta1_, beta2_, epsilon_, weight_decay_;
};

}  // namespace nn
