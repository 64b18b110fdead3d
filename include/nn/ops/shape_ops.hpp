#pragma once
#include "nn/autograd/variable.hpp"

namespace nn {

// Same values, new shape (one extent may be -1); shares storage.
Variable reshape(const Variable& x, const Shape& shape);
// (N, d1, d2, ...) -> (N, d1*d2*...)
Variable flatten(const Variable& x);

}  // namespace nn
