#pragma once
// The strict test device (Device::test()): the CPU backend's kernels, run on memory that nn's host
// code may not touch (Tensor::data() throws there; only this backend's copies cross), with streams
// that count work as done only when the host waits (test_stream.hpp), a stream-ordered caching
// allocator that poisons freed blocks with NaN and delays their reuse as a GPU's would, and none of
// the optional kernels, so the ops' host fallback (backend/fallback.hpp) runs as it would for a
// backend that declines them. A bad label is raised at the next synchronization, as a GPU's
// device-side check would raise it. Model-level tests run on it (ctest label test-device) and must give
// results bit-identical to the CPU device's: what passes here does not lean on host memory.
#include <memory>
#include <vector>

#include "../cpu/cpu_backend.hpp"
#include "../stream_allocator.hpp"
#include "test_stream.hpp"

namespace nn::detail {

class TestBackend : public CpuBackend {
 public:
  TestBackend();
  Device device() const override { return Device::test(); }
  std::string name() const override { return "test (CPU kernels on memory the host may not read)"; }
  bool supports(Kernel) const override { return false; }

  std::shared_ptr<float> allocate(int64_t count) override { return allocator_.allocate(count); }
  void release_cached() override { allocator_.release_cached(); }
  MemoryStats memory_stats() const override { return allocator_.stats(); }
  // Copies to the host wait for the current stream first, as a device-to-host copy does.
  void copy_bytes_to_host(const void* src, void* dst, size_t n) override;
  void copy_to_host(const float* src, float* dst, int64_t n) override;

  // Recorded on the device's error flag, raised at the next synchronization.
  void check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                          const std::string& what) override;

  StreamPtr default_stream() override { return default_stream_; }
  StreamPtr new_stream() override;
  void synchronize() override;

 private:
  std::shared_ptr<DeviceError> error_ = std::make_shared<DeviceError>();
  std::mutex streams_mutex_;
  std::vector<std::weak_ptr<Stream>> streams_;
  StreamPtr default_stream_;
  StreamAllocator allocator_;
};

}  // namespace nn::detail
