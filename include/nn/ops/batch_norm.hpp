#pragma once
#include "nn/autograd/variable.hpp"

namespace nn {

// Batch normalization along one axis of x (the channels: axis 1 of (N, C) and (N, C, H, W)),
// statistics per channel over every other axis. gamma and beta: (C), either may be undefined
// (scale 1, offset 0).
//
// Training: normalizes with the batch's own mean and (biased) variance and returns them in
// *batch_mean and *batch_var (C) when not null; the gradient flows through the statistics.
//   y = gamma (x - mean) / sqrt(var + epsilon) + beta
Variable batch_norm(const Variable& x, const Variable& gamma, const Variable& beta, int axis, float epsilon,
                    Tensor* batch_mean = nullptr, Tensor* batch_var = nullptr);

// Inference: the same with given statistics mean and var (C), held constant.
Variable batch_norm_inference(const Variable& x, const Variable& gamma, const Variable& beta, const Tensor& mean,
                              const Tensor& var, int axis, float epsilon);

}  // namespace nn
