#pragma once
// Running an optional kernel (nn::Kernel) on the backend of the operands' device, or on the CPU
// backend with host copies when that backend declines it (Backend::supports).
#include <functional>
#include <vector>

#include "nn/backend/backend.hpp"
#include "nn/tensor.hpp"

namespace nn::detail {

using KernelFn = std::function<void(Backend&, const std::vector<const void*>& inputs, const std::vector<void*>& outputs)>;

// fn(backend, the inputs' data, the outputs' data; each of its tensor's dtype: the kernel casts)
// on `be` when it supports `kernel`; else on the
// CPU backend over host copies (of the outputs too, with their contents, for kernels that update
// them in place), the outputs then copied back to their device. All operands are on be's device.
void run_kernel(Backend& be, Kernel kernel, const std::vector<const Tensor*>& inputs,
                const std::vector<Tensor*>& outputs, const KernelFn& fn);

// An operand of a kernel function, as its element type.
template <class T>
const T* as(const void* p) {
  return static_cast<const T*>(p);
}
template <class T>
T* as(void* p) {
  return static_cast<T*>(p);
}

// The same on the backend of the outputs' device.
inline void run_kernel(Kernel kernel, const std::vector<const Tensor*>& inputs, const std::vector<Tensor*>& outputs,
                       const KernelFn& fn) {
  run_kernel(backend_for(outputs.front()->device()), kernel, inputs, outputs, fn);
}

}  // namespace nn::detail
