// find_package(nn COMPONENTS cuda): nn with its CUDA backend, beside the CUDA runtime's own API.
#include <cuda_runtime_api.h>

#include <cstdio>

#include <nn/nn.hpp>

int main() {
  if (!nn::cuda::built()) {
    std::fprintf(stderr, "nn::cuda linked, but nn::cuda::built() is false\n");
    return 1;
  }
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) count = 0;
  if (count != nn::cuda::device_count()) {
    std::fprintf(stderr, "the CUDA runtime sees %d devices, nn %d\n", count, nn::cuda::device_count());
    return 1;
  }
  if (count == 0) {
    std::printf("nn with CUDA (%s); no GPU here: %s\n", nn::cuda::library_versions().c_str(),
                nn::cuda::unavailable_reason().c_str());
    return 0;
  }
  const nn::Tensor x = nn::Tensor::ones({4, 3}, nn::Device::cuda(0));
  const float total = (x * 2.0f).to_vector()[11];
  std::printf("nn on %s: %g\n", nn::cuda::device_name(0).c_str(), total);
  return total == 2.0f ? 0 : 1;
}
