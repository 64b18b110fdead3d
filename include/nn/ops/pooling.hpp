#pragma once
#include "nn/autograd/variable.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

// x: (N, C, H, W) -> (N, C, OH, OW), the maximum of each window; padded cells never win.
// The gradient goes to the argmax of each window (kept from the forward pass).
Variable max_pool2d(const Variable& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                    int64_t stride_w, const Padding& padding = Padding::valid());

Pool2DParams max_pool2d_params(const Shape& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                               int64_t stride_w, const Padding& padding);

}  // namespace nn
