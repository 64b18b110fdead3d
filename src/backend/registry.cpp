// The one place backends are registered: a backend built as an optional component (its own folder
// and NN_WITH_<NAME> option, which defines NN_HAVE_<NAME>) adds its devices here.
#include <atomic>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "cpu/conv_kernels.hpp"
#include "cpu/cpu_backend.hpp"
#include "cpu/thread_pool.hpp"
#include "nn/backend/backend.hpp"
#include "nn/cuda.hpp"
#include "test/test_backend.hpp"
#ifdef NN_HAVE_ONEDNN
#include "onednn/onednn_conv.hpp"
#endif
#ifdef NN_HAVE_CUDA
#include "cuda/cuda_backend.hpp"
#endif

namespace nn {
namespace {

std::string listing() {
  std::string out;
  for (const Device& d : devices()) out += (out.empty() ? "" : ", ") + to_string(d);
  return out;
}

}  // namespace

namespace detail {
VendorConv vendor_conv_kernels() {
#ifdef NN_HAVE_ONEDNN
  return {"oneDNN", make_onednn_conv};
#else
  return {};
#endif
}
}  // namespace detail

std::vector<Device> devices() {
  std::vector<Device> out{Device::cpu()};
#ifdef NN_HAVE_CUDA
  // One per GPU present (none without a GPU or its driver).
  for (int i = 0; i < detail::cuda::probe_device_count(); ++i) out.push_back(Device::cuda(i));
#endif
  return out;
}

bool device_available(Device device) {
  if (device == Device::test()) return true;
  for (const Device& d : devices())
    if (d == device) return true;
  return false;
}

Backend& backend_for(Device device) {
  if (device == Device::cpu()) {
    static detail::CpuBackend cpu;
    return cpu;
  }
  if (device == Device::test()) {
    static auto* test = new detail::TestBackend();  // never destroyed: tensors in statics may outlive main
    return *test;
  }
#ifdef NN_HAVE_CUDA
  if (device.type == DeviceType::CUDA && device.index >= 0 && device.index < detail::cuda::probe_device_count())
    return detail::cuda::cuda_backend(device.index);
#endif
  std::string why;
  if (device.type == DeviceType::CUDA && !cuda::unavailable_reason().empty()) why = " (" + cuda::unavailable_reason() + ")";
  throw std::runtime_error(fmt::format("no device {} in this build of nn on this machine{}; there is {}",
                                       to_string(device), why, listing()));
}

namespace {
std::atomic<bool> g_poison{false};
}
void set_poison_memory(bool on) { g_poison = on; }
bool poison_memory() { return g_poison; }

void set_num_threads(int n) {
  if (n < 1 || n > kMaxThreads)
    throw std::invalid_argument("set_num_threads: " + std::to_string(n) + " threads, expected 1 to " +
                                std::to_string(kMaxThreads));
  detail::set_pool_threads(n);
}

int num_threads() { return detail::thread_pool()->size(); }

}  // namespace nn
