#pragma once
#include "nn/optim/optimizer.hpp"

namespace nn {

// Keras's SGD: v = momentum·v − lr·g; w += v, or with Nesterov w += momentum·v − lr·g.
// weight_decay adds weight_decay·w to the gradient (L2, as PyTorch's SGD).
class SGD : public Optimizer {
 public:
  explicit SGD(float learning_rate = 0.01f, float momentum = 0.0f, bool nesterov = false,
               float weight_decay = 0.0f);
  std::string type() const override { return "SGD"; }
  Config config() const override;
  std::vector<std::string> slot_names() const override;

 protected:
  void update(size_t i, Tensor& w, const Tensor& g) override;

 private:
  float momentum_;
  bool nesterov_;
  float weight_decay_;
};

}  // namespace nn
