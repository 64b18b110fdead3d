#pragma once
// A CUDA stream as an nn::Stream: positions are CUDA events recorded on the stream (from a pool,
// recycled once passed); events on one stream complete in order, so the passed ones are popped off
// the front. record() adds an event only when work was queued since the last one.
#include <cuda_runtime_api.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "nn/backend/backend.hpp"

namespace nn::detail::cuda {

class CudaStream : public Stream {
 public:
  // `on_wait` runs after every wait of the host on this stream (the backend raises the errors its
  // kernels recorded).
  CudaStream(Device device, std::function<void()> on_wait);
  ~CudaStream() override;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  Device device() const override { return device_; }
  // The handle to queue work on; marks the stream as having work after its last event.
  cudaStream_t queue() {
    dirty_ = true;
    return stream_;
  }
  cudaStream_t handle() const { return stream_; }

  uint64_t record() override;
  bool passed(uint64_t position) const override;
  void wait_until(uint64_t position) override;
  void synchronize() override;
  void wait_for(const Event& event) override;

 private:
  // Under mutex_: pops the events that have completed.
  void poll() const;
  // Makes `waiter` wait (cudaStreamWaitEvent) for this stream's position, if not passed yet.
  void enqueue_wait(cudaStream_t waiter, uint64_t position) const;

  Device device_;
  std::function<void()> on_wait_;
  cudaStream_t stream_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::deque<std::pair<uint64_t, cudaEvent_t>> pending_;  // recorded, not yet seen complete
  mutable std::vector<cudaEvent_t> spare_;                        // completed, for reuse
  uint64_t recorded_ = 0;
  mutable uint64_t passed_ = 0;
  std::atomic<bool> dirty_{true};
};

}  // namespace nn::detail::cuda
