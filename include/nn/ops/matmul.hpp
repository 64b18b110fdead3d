#pragma once
#include "nn/autograd/variable.hpp"

namespace nn {

// a: (m, k), b: (k, n) -> (m, n)
Variable matmul(const Variable& a, const Variable& b);

// Fully connected: x: (N, in), w: (in, out), bias: (out) or undefined -> (N, out).
// One GEMM with the bias folded in; the layout of w is Keras's (in, out).
Variable linear(const Variable& x, const Variable& w, const Variable& bias);

}  // namespace nn
