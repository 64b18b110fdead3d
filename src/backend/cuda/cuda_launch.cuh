#pragma once
// What nn's CUDA kernel files share (cuda_kernels.cu, cuda_layer_kernels.cu): the launch shapes,
// `each` (one thread per element in grid-stride loops), warp reductions, CUB's block sum in
// double, and the channel indexing of (outer, channels, inner) tensors.
#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <cstdint>

#include "cuda_check.hpp"

namespace nn::detail::cuda {

constexpr int kThreads = 256;
constexpr int kWarp = 32;
constexpr int kRowsPerBlock = kThreads / kWarp;

inline unsigned grid_for(int64_t n, int64_t per_block = kThreads) {
  return static_cast<unsigned>(std::clamp<int64_t>((n + per_block - 1) / per_block, 1, int64_t{1} << 20));
}

template <class F>
__global__ void each_kernel(int64_t n, F f) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
    f(i);
}

// f(i) for i in [0, n), on stream s.
template <class F>
void each(cudaStream_t s, int64_t n, const char* name, F f) {
  if (n <= 0) return;
  each_kernel<<<grid_for(n), kThreads, 0, s>>>(n, f);
  check_launch(name);
}

__device__ inline float warp_max(float v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline double warp_sum(double v) {
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// ---- block reductions: one block per output, in double ----
template <int BS>
using BlockSum = cub::BlockReduce<double, BS>;

// The element r in [0, outer*inner) of channel c of x(outer, channels, inner).
__device__ __forceinline__ int64_t channel_at(int64_t r, int64_t c, int64_t channels, int64_t inner) {
  return ((r / inner) * channels + c) * inner + r % inner;
}

}  // namespace nn::detail::cuda
