#pragma once
#include "nn/autograd/variable.hpp"

namespace nn {

// Over the last axis: x: (..., C) -> (..., C).
Variable softmax(const Variable& x);
Variable log_softmax(const Variable& x);

}  // namespace nn
