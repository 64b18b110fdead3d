#pragma once
// The calling thread's current CUDA device, set only when it changes (cudaSetDevice).
namespace nn::detail::cuda {
void activate(int device);
void activate_noexcept(int device) noexcept;
}  // namespace nn::detail::cuda
