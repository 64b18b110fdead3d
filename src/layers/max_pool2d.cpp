#include "nn/layers/max_pool2d.hpp"

#include "nn/ops/pooling.hpp"

namespace nn {

Variable MaxPool2D::forward(const Variable& x, bool) {
  return max_pool2d(x, pool_.h, pool_.w, strides_.h, strides_.w, padding_);
}

}  // namespace nn
