#pragma once
#include "nn/layers/layer.hpp"

namespace nn {

class BatchNormalizationOptions {
 public:
  // axis: the channel axis of the batched input; nn's images are channels-first (N, C, H, W), so
  // the default is 1, which is also the features of a (N, units) input (Keras's default, -1,
  // assumes channels-last images).
  NN_ARG(int, axis) = 1;
  NN_ARG(float, momentum) = 0.99f;
  NN_ARG(float, epsilon) = 1e-3f;
  NN_ARG(bool, center) = true;  // learn beta
  NN_ARG(bool, scale) = true;   // learn gamma
  NN_ARG(AnyInitializer, beta_initializer) = "zeros";
  NN_ARG(AnyInitializer, gamma_initializer) = "ones";
  NN_ARG(AnyInitializer, moving_mean_initializer) = "zeros";
  NN_ARG(AnyInitializer, moving_variance_initializer) = "ones";
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("axis", axis_);
    f("momentum", momentum_);
    f("epsilon", epsilon_);
    f("center", center_);
    f("scale", scale_);
    f("beta_initializer", beta_initializer_);
    f("gamma_initializer", gamma_initializer_);
    f("moving_mean_initializer", moving_mean_initializer_);
    f("moving_variance_initializer", moving_variance_initializer_);
  }
  NN_LAYER_ARGS;
};

// Keras's BatchNormalization. In training, y = gamma (x - mean) / sqrt(var + epsilon) + beta
// with the batch's mean and (biased) variance per channel, and the moving statistics follow
// them: moving = momentum * moving + (1 - momentum) * batch. In inference, and in training when
// the layer is frozen (trainable = false, as in Keras), the moving statistics are used.
// Weights: gamma (C), beta (C), and the non-trainable moving_mean (C) and moving_variance (C),
// which are saved with the model.
//   nn::BatchNormalization()   nn::BatchNormalization(nn::BatchNormalizationOptions().momentum(0.9f))
class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});

  std::string type() const override { return "BatchNormalization"; }
  Shape compute_output_shape(const Shape& input_shape) const override;
  std::vector<WeightSpec> weight_specs(const Shape& input_shape) const override;
  const BatchNormalizationOptions& options() const { return o_; }
  Variable gamma() const;  // undefined without scale
  Variable beta() const;   // undefined without center
  Tensor moving_mean() const;
  Tensor moving_variance() const;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  int64_t channels(const Shape& input_shape) const;  // the extent of the axis; throws for a bad axis
  BatchNormalizationOptions o_;
};

}  // namespace nn
