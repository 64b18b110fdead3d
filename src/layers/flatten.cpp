#include "nn/layers/flatten.hpp"

#include "nn/ops/shape_ops.hpp"

namespace nn {

Variable Flatten::forward(const Variable& x, bool) { return reshape(x, {x.shape()[0], numel(input_shape())}); }

}  // namespace nn
