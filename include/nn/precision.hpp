#pragma once
// Mixed precision, as torch.autocast(dtype=torch.bfloat16) and Keras's "mixed_bfloat16" policy:
// inside an Autocast scope, matrix products (Dense, matmul) and convolutions on a device that
// computes in bfloat16 (Backend::computes_in: the CUDA backend) round their inputs and weights to
// bfloat16 and accumulate in float32 on the tensor cores; every other op, the weights themselves
// (the float32 master copy the optimizer updates) and the tensors stay float32. A matrix product's
// output keeps float32's precision; a convolution's output and gradients are rounded to bfloat16
// (cuDNN writes them in its inputs' type) before they return as float32 tensors, as PyTorch's
// autocast leaves them in bfloat16. fit's `precision` option opens such a scope for its steps.
//
//   { nn::Autocast bf16(nn::kBFloat16); model.train_on_batch(x, y); }
#include "nn/dtype.hpp"

namespace nn {

class Autocast {
 public:
  // float32 (autocast off) or bfloat16; any other dtype throws std::invalid_argument.
  explicit Autocast(DType dtype);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  DType previous_;
};

// The calling thread's autocast dtype: float32 outside any scope.
DType autocast_dtype();

}  // namespace nn
