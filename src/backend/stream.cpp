// The thread's current stream per device, and the synchronous stream of devices without a queue.
#include <algorithm>
#include <new>
#include <utility>
#include <vector>

#include "nn/backend/backend.hpp"
#include "sync_stream.hpp"

namespace nn {
namespace {
// Few devices per thread: a linear list.
thread_local std::vector<std::pair<Device, StreamPtr>> t_current;

StreamPtr* find_current(Device device) {
  for (auto& [d, s] : t_current)
    if (d == device) return &s;
  return nullptr;
}
}  // namespace

StreamPtr Backend::current_stream() {
  if (StreamPtr* s = find_current(device()); s && *s) return *s;
  return default_stream();
}

std::shared_ptr<void> Backend::host_staging(size_t bytes) {
  return std::shared_ptr<void>(::operator new(std::max<size_t>(bytes, 1), std::align_val_t{64}),
                               [](void* p) { ::operator delete(p, std::align_val_t{64}); });
}

StreamGuard::StreamGuard(StreamPtr stream) : device_(stream->device()) {
  StreamPtr* slot = find_current(device_);
  if (!slot) {
    t_current.emplace_back(device_, nullptr);
    slot = &t_current.back().second;
  }
  previous_ = std::exchange(*slot, std::move(stream));
}

StreamGuard::~StreamGuard() {
  if (StreamPtr* slot = find_current(device_)) *slot = std::move(previous_);
}

}  // namespace nn
