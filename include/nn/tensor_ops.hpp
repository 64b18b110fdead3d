#pragma once
// Arithmetic and reductions on plain tensors, outside autograd (data preparation, reading a
// model's outputs). Elementwise operators broadcast as NumPy does; results are new float32
// tensors on the operands' device (operands of other dtypes, such as uint8 images, are converted),
// except the compound assignments, which write into the left operand's storage (shared by its
// copies, as in PyTorch) and need it to be float32.
//
//   nn::Tensor x = images / 255.0f;                        // scale
//   nn::Tensor probs = nn::softmax(logits);                // (N, C), rows sum to 1
//   nn::Tensor labels = nn::argmax(probs);                 // (N) int64 class indices
//   auto [p, classes] = nn::top_k(probs, 5);               // (N, 5) each, best first
#include <cstdint>

#include "nn/tensor.hpp"

namespace nn {

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float b);
Tensor operator-(const Tensor& a, float b);
Tensor operator*(const Tensor& a, float b);
Tensor operator/(const Tensor& a, float b);
Tensor operator+(float a, const Tensor& b);
Tensor operator-(float a, const Tensor& b);
Tensor operator*(float a, const Tensor& b);
Tensor operator/(float a, const Tensor& b);
Tensor operator-(const Tensor& a);

// b must broadcast to a's shape.
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
Tensor& operator+=(Tensor& a, float b);
Tensor& operator-=(Tensor& a, float b);
Tensor& operator*=(Tensor& a, float b);
Tensor& operator/=(Tensor& a, float b);

// Reductions over all elements, as () scalars (read with .item()).
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x);

// The rows of x (along its first axis) that `index` (int64, (k)) names, in its order: (k, ...) on x's
// device (torch.index_select(x, 0, index)). The dataset kept on a GPU is batched this way. An index
// outside [0, x.dim(0)) is std::out_of_range naming it (at once on the CPU; at the next
// synchronization on a device whose kernels cannot throw, as with labels).
Tensor index_select(const Tensor& x, const Tensor& index);

// The index of the largest value along `axis` (which is removed from the shape), int64; the
// first one on ties.
Tensor argmax(const Tensor& x, int axis = -1);

// The k largest values of each row (last axis), best first: values (the input's dtype) and their
// int64 indices, both of shape (..., k).
struct TopK {
  Tensor values;
  Tensor indices;
};
TopK top_k(const Tensor& x, int64_t k);

// Over the last axis.
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

}  // namespace nn
