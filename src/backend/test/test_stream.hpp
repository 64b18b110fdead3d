#pragma once
// The test device's streams: work runs at once (on the CPU) but counts as done only when the host
// waits for it (synchronize, an event's synchronize, a copy to the host), as on a GPU where the host
// runs ahead of the device. So memory freed before a wait is not reused until after it.
#include <mutex>

#include "nn/backend/backend.hpp"

namespace nn::detail {

class QueuedStream : public Stream {
 public:
  Device device() const override { return Device::test(); }
  uint64_t record() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return ++queued_;
  }
  bool passed(uint64_t position) const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return completed_ >= position;
  }
  void wait_until(uint64_t position) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (position > completed_) completed_ = position;
  }
  void synchronize() override {
    std::lock_guard<std::mutex> lock(mutex_);
    completed_ = queued_;
  }
  // The work was done when it was queued: nothing later can start before the event.
  void wait_for(const Event&) override {}

 private:
  mutable std::mutex mutex_;
  uint64_t queued_ = 0, completed_ = 0;
};

}  // namespace nn::detail
