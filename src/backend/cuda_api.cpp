// nn/cuda.hpp: the CUDA backend's facts and switches, in every build (without the backend, there are
// no devices and the switches are kept for when there are).
#include <atomic>
#include <stdexcept>
#include <string>

#include "nn/cuda.hpp"
#ifdef NN_HAVE_CUDA
#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <fmt/format.h>

#include "cuda/cuda_backend.hpp"
#endif

namespace nn::cuda {
namespace {
std::atomic<bool> g_tf32_conv{true}, g_tf32_matmul{false}, g_benchmark{false};
}

bool built() {
#ifdef NN_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int device_count() {
#ifdef NN_HAVE_CUDA
  return detail::cuda::probe_device_count();
#else
  return 0;
#endif
}

bool is_available() { return device_count() > 0; }

std::string unavailable_reason() {
#ifdef NN_HAVE_CUDA
  return detail::cuda::probe_failure();
#else
  return "nn was built without the CUDA backend (NN_WITH_CUDA=OFF, or no CUDA toolkit and cuDNN when built)";
#endif
}

std::string device_name(int index) {
  if (index < 0 || index >= device_count())
    throw std::out_of_range("nn::cuda::device_name: no CUDA device " + std::to_string(index) + " (" +
                            std::to_string(device_count()) + " present)");
#ifdef NN_HAVE_CUDA
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, index) != cudaSuccess) return "cuda:" + std::to_string(index);
  return fmt::format("{} (sm_{}{}, {:.1f} GiB)", prop.name, prop.major, prop.minor,
                     static_cast<double>(prop.totalGlobalMem) / (1 << 30));
#else
  return {};
#endif
}

std::string library_versions() {
#ifdef NN_HAVE_CUDA
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  const size_t lt = cublasLtGetVersion(), dnn = cudnnGetVersion();
  return fmt::format("CUDA runtime {}.{}, cuBLASLt {}.{}.{}, cuDNN {}.{}.{}", runtime / 1000, runtime % 1000 / 10,
                     lt / 10000, lt / 100 % 100, lt % 100, dnn / 10000, dnn / 100 % 100, dnn % 100);
#else
  return "none (built without the CUDA backend)";
#endif
}

void set_allow_tf32_convolutions(bool on) { g_tf32_conv = on; }
bool allow_tf32_convolutions() { return g_tf32_conv; }
void set_allow_tf32_matmul(bool on) { g_tf32_matmul = on; }
bool allow_tf32_matmul() { return g_tf32_matmul; }
void set_cudnn_benchmark(bool on) { g_benchmark = on; }
bool cudnn_benchmark() { return g_benchmark; }

}  // namespace nn::cuda
