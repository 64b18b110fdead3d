#pragma once
#include "nn/autograd/variable.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn {

// x: (N, C, H, W) -> (N, C, OH, OW), the maximum of each window; padded cells never win.
// The gradient goes to the argmax of each window (kept from the forward pass).
Variable max_pool2d(const Variable& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                    int64_t stride_w, const Padding& padding = Padding::valid());

// x: (N, C, H, W) -> (N, C, OH, OW), the mean of each window's cells inside the input (padding
// not counted, as in TensorFlow). The gradient spreads each window's evenly over its cells.
Variable avg_pool2d(const Variable& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                    int64_t stride_w, const Padding& padding = Padding::valid());

// x: (N, C, H, W) -> (N, C), the mean over H and W.
Variable global_avg_pool2d(const Variable& x);

// The geometry of a pooling window over x (shared by max and average pooling); op names the
// caller in errors.
Pool2DParams pool2d_params(const char* op, const Shape& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                           int64_t stride_w, const Padding& padding);
Pool2DParams max_pool2d_params(const Shape& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                               int64_t stride_w, const Padding& padding);

}  // namespace nn
