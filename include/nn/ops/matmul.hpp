#pragma once
#include "nn/autograd/variable.hpp"
#include "nn/backend/backend.hpp"

namespace nn {

// a: (m, k), b: (k, n) -> (m, n)
Variable matmul(const Variable& a, const Variable& b);

// Fully connected: x: (N, in), w: (in, out), bias: (out) or undefined -> act(x w + bias): (N, out).
// One GEMM, then the bias and the activation in one pass; the layout of w is Keras's (in, out).
Variable linear(const Variable& x, const Variable& w, const Variable& bias, Epilogue act = Epilogue::None);

}  // namespace nn
