// The one place backends are registered: add a line here for a new one.
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "cpu/cpu_backend.hpp"
#include "cpu/thread_pool.hpp"
#include "nn/backend/backend.hpp"

namespace nn {

Backend& backend_for(Device device) {
  if (device.is_cpu()) {
    static detail::CpuBackend cpu;
    return cpu;
  }
  throw std::runtime_error("no backend for device " + to_string(device) +
                           ": this build of nn has only the CPU backend");
}

bool device_available(Device device) { return device.is_cpu(); }

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
