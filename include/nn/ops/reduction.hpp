#pragma once
#include "nn/autograd/variable.hpp"

namespace nn {

// How a per-example quantity becomes a loss: Keras's "sum_over_batch_size" is Mean.
enum class Reduction { Mean, Sum, None };

Variable sum(const Variable& x);   // -> () scalar
Variable mean(const Variable& x);  // -> () scalar
// Over one axis (negative counts from the end); keepdims leaves it with extent 1.
Variable sum(const Variable& x, int axis, bool keepdims = false);
Variable mean(const Variable& x, int axis, bool keepdims = false);

// Applies a Reduction to a per-example vector: (N) -> () for Mean/Sum, unchanged for None.
Variable reduce(const Variable& x, Reduction reduction);

// y = min(max(x, lo), hi); the gradient passes only strictly inside (lo, hi).
Variable clip(const Variable& x, float lo, float hi);

}  // namespace nn
