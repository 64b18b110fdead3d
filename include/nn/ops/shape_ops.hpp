#pragma once
#include <vector>

#include "nn/autograd/variable.hpp"

namespace nn {

// Same values, new shape (one extent may be -1); shares storage.
Variable reshape(const Variable& x, const Shape& shape);
// (N, d1, d2, ...) -> (N, d1*d2*...)
Variable flatten(const Variable& x);
// The axes reordered: output axis i is input axis axes[i] (torch.permute / numpy.transpose).
Variable permute(const Variable& x, const std::vector<int>& axes);
// A 2-d tensor's transpose: (m, n) -> (n, m).
Variable transpose(const Variable& x);

// The tensors joined along `axis` (negative counts from the end): every other extent must agree.
//   (N, 3, H, W), (N, 5, H, W), axis 1 -> (N, 8, H, W)
Variable concatenate(const std::vector<Variable>& xs, int axis);
// The permuted shape, checking that axes is a permutation of 0..ndim-1 (std::invalid_argument).
Shape permuted_shape(const Shape& shape, const std::vector<int>& axes);

}  // namespace nn
