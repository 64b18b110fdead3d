#pragma once
// Errors of the CUDA runtime, cuBLASLt and cuDNN as exceptions (never an abort): nn::CudaError
// naming the call and the library's own error string, e.g.
//   "cuda: cudaMalloc(268435456 bytes): out of memory (cudaErrorMemoryAllocation)".
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace nn::detail::cuda {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_cuda(cudaError_t e, const std::string& call) {
  (void)cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw CudaError("cuda: " + call + ": " + cudaGetErrorString(e) + " (" + cudaGetErrorName(e) + ")");
}
inline void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) throw_cuda(e, call);
}
// After a kernel launch: a bad configuration shows here, a fault at the next synchronization.
inline void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw_cuda(e, std::string("launching ") + kernel);
}

}  // namespace nn::detail::cuda

#define NN_CUDA_CHECK(call) ::nn::detail::cuda::check((call), #call)
