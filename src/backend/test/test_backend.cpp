#include "test_backend.hpp"

#include <cstring>

#include "test_memory.hpp"
#include "test_stream.hpp"

namespace nn::detail {
namespace {
constexpr int64_t kMaxPendingBytes = int64_t{256} << 20;

StreamAllocator::System test_memory() {
  return {[](size_t bytes) { return TestMemory::instance().allocate(bytes); },
          [](void* p, size_t bytes) { TestMemory::instance().free(p, bytes); },
          [](void* p, size_t bytes) {
            const DeviceAccess access;
            std::memset(p, 0xFF, bytes);  // all-ones: NaN as float, -1 as int
          },
          nullptr};  // waits with Backend::synchronize(), which raises what the device recorded
}
}  // namespace

TestBackend::TestBackend()
    : default_stream_(std::make_shared<QueuedStream>(error_)), allocator_(*this, test_memory(), kMaxPendingBytes) {
  streams_.push_back(default_stream_);
}

StreamPtr TestBackend::new_stream() {
  auto s = std::make_shared<QueuedStream>(error_);
  std::lock_guard<std::mutex> lock(streams_mutex_);
  streams_.push_back(s);
  return s;
}

void TestBackend::synchronize() {
  std::vector<StreamPtr> live;
  {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    size_t kept = 0;
    for (auto& w : streams_)
      if (auto s = w.lock()) {
        live.push_back(std::move(s));
        streams_[kept++] = w;
      }
    streams_.resize(kept);
  }
  for (auto& s : live) s->synchronize();
  error_->raise();
}

void TestBackend::check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                                     const std::string& what) {
  try {
    const DeviceAccess access;
    CpuBackend::check_class_labels(labels, dtype, n, classes, what);
  } catch (...) {
    error_->record(std::current_exception());
  }
}

void TestBackend::copy_bytes_to_host(const void* src, void* dst, size_t n) {
  current_stream()->synchronize();
  const DeviceAccess access;
  std::memcpy(dst, src, n);
}

void TestBackend::copy_to_host(const float* src, float* dst, int64_t n) {
  copy_bytes_to_host(src, dst, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace nn::detail
