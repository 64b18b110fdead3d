#pragma once
// A CUDA stream as an nn::Stream. record() only counts (a tensor's release records a position, and
// a step frees many); the CUDA event that marks a position is recorded when something first asks
// about it (a query, a wait, another stream waiting for it), then covering every position recorded
// so far: later than the position itself, so a wait may last longer, never too little. Events come
// from a pool and complete in order on one stream, so the passed ones are popped off the front.
#include <cuda_runtime_api.h>

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
  // kernels recorded on it).
  CudaStream(Device device, std::function<void(const CudaStream*)> on_wait);
  ~CudaStream() override;
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  Device device() const override { return device_; }
  cudaStream_t handle() const { return stream_; }

  uint64_t record() override;
  bool passed(uint64_t position) const override;
  void wait_until(uint64_t position) override;
  void synchronize() override;
  void wait_for(const Event& event) override;

  // For a wait on the whole device: the last position recorded before it, and, after it, that
  // every position up to there has passed (they have no event of their own until asked about).
  uint64_t recorded() const;
  void mark_passed(uint64_t upto);

 private:
  // Under mutex_: pops the events that have completed.
  void poll() const;
  // Makes `waiter` wait (cudaStreamWaitEvent) for this stream's position, if not passed yet.
  void enqueue_wait(cudaStream_t waiter, uint64_t position) const;
  // Under mutex_: the event that marks `position` (recorded now if there is none yet), or null
  // when it has passed.
  cudaEvent_t event_covering(uint64_t position) const;

  Device device_;
  std::function<void(const CudaStream*)> on_wait_;
  cudaStream_t stream_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::deque<std::pair<uint64_t, cudaEvent_t>> pending_;  // recorded, not yet seen complete
  mutable std::vector<cudaEvent_t> spare_;                        // completed, for reuse
  uint64_t recorded_ = 0;
  mutable uint64_t passed_ = 0;
};

}  // namespace nn::detail::cuda
