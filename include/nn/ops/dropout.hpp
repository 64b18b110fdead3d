#pragma once
#include "nn/autograd/variable.hpp"
#include "nn/random.hpp"

namespace nn {

// Inverted dropout: in training, each element is zeroed with probability `rate` and the rest
// scaled by 1/(1-rate), so evaluation is the identity. The mask is drawn from `gen`.
Variable dropout(const Variable& x, float rate, bool training, Generator& gen = default_generator());

}  // namespace nn
