#pragma once
// Elementwise functions of one tensor, with Keras's definitions (the activations' formulas are
// in nn/backend/backend.hpp, UnaryOp).
#include "nn/autograd/variable.hpp"

namespace nn {

Variable relu(const Variable& x);
Variable relu6(const Variable& x);
Variable leaky_relu(const Variable& x, float negative_slope = 0.2f);
Variable elu(const Variable& x, float alpha = 1.0f);
Variable selu(const Variable& x);
Variable gelu(const Variable& x);
Variable sigmoid(const Variable& x);
Variable hard_sigmoid(const Variable& x);
Variable log_sigmoid(const Variable& x);
Variable tanh(const Variable& x);
Variable softplus(const Variable& x);
Variable softsign(const Variable& x);
Variable silu(const Variable& x);  // swish
Variable hard_silu(const Variable& x);  // hard_swish
Variable mish(const Variable& x);
Variable exp(const Variable& x);
Variable log(const Variable& x);
Variable square(const Variable& x);
Variable sqrt(const Variable& x);
Variable abs(const Variable& x);

}  // namespace nn
