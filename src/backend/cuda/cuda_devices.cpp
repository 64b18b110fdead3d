// The CUDA devices: how many the driver reports (probed once; why there are none, when there are
// none), and one CudaBackend per device, made on first use.
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"

namespace nn::detail::cuda {

namespace {
struct Probe {
  int count = 0;
  std::string failure;
};
const Probe& probe() {
  static const Probe p = [] {
    Probe r;
    const cudaError_t e = cudaGetDeviceCount(&r.count);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      r.count = 0;
      r.failure = fmt::format("no CUDA device: {} ({})", cudaGetErrorString(e), cudaGetErrorName(e));
    } else if (r.count == 0) {
      r.failure = "no CUDA device: the driver reports none";
    }
    return r;
  }();
  return p;
}
}  // namespace

int probe_device_count() { return probe().count; }
std::string probe_failure() { return probe().failure; }

CudaBackend& cuda_backend(int index) {
  static std::mutex mutex;
  static std::vector<CudaBackend*> backends;  // never destroyed: tensors in statics may outlive main
  std::lock_guard<std::mutex> lock(mutex);
  if (backends.empty()) backends.resize(static_cast<size_t>(probe_device_count()), nullptr);
  auto& slot = backends.at(static_cast<size_t>(index));
  if (!slot) slot = new CudaBackend(index);
  return *slot;
}

}  // namespace nn::detail::cuda
