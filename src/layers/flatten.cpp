#include "nn/layers/flatten.hpp"

#include <stdexcept>

#include "nn/ops/shape_ops.hpp"

namespace nn {

Shape Flatten::compute_output_shape(const Shape& s) const {
  try {
    return {numel(s)};
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Variable Flatten::forward(const Variable& x, bool) {
  return reshape(x, {x.shape()[0], numel(input_shape())});
}

}  // namespace nn
