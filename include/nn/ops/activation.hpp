#pragma once
// Elementwise functions of one tensor.
#include "nn/autograd/variable.hpp"

namespace nn {

Variable relu(const Variable& x);
Variable sigmoid(const Variable& x);
Variable tanh(const Variable& x);
Variable exp(const Variable& x);
Variable log(const Variable& x);
Variable square(const Variable& x);
Variable sqrt(const Variable& x);
Variable abs(const Variable& x);

}  // namespace nn
