#pragma once
#include "nn/autograd/variable.hpp"
#include "nn/ops/one_hot.hpp"
#include "nn/ops/reduction.hpp"

namespace nn {

// Fused softmax + cross-entropy from logits: (N, C) logits against integer labels (N) (stored
// as floats) or target distributions (N, C). Stable for any finite logits (log-sum-exp); the
// gradient is (softmax(logits) - targets) scaled by the reduction. Labels are constants.
Variable softmax_cross_entropy(const Variable& logits, const Tensor& targets,
                               Reduction reduction = Reduction::Mean);

}  // namespace nn
