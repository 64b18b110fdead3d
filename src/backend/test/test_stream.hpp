#pragma once
// The test device's streams: work runs at once (on the CPU) but counts as done only when the host
// waits for it (synchronize, an event's synchronize, a copy to the host), as on a GPU where the host
// runs ahead of the device. So memory freed before a wait is not reused until after it.
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

#include "nn/backend/backend.hpp"

namespace nn::detail {

// The device's error flag: a kernel that finds bad input (a label out of range) cannot throw on a
// GPU; it records the error, and the host raises it at its next wait on the device.
class DeviceError {
 public:
  void record(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::move(e);  // the first one, as a sticky flag holds it
  }
  void raise() {
    std::exception_ptr e;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      e = std::exchange(error_, nullptr);
    }
    if (e) std::rethrow_exception(e);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

class QueuedStream : public Stream {
 public:
  explicit QueuedStream(std::shared_ptr<DeviceError> error) : error_(std::move(error)) {}
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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (position > completed_) completed_ = position;
    }
    error_->raise();
  }
  void synchronize() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      completed_ = queued_;
    }
    error_->raise();
  }
  // The work was done when it was queued: nothing later can start before the event.
  void wait_for(const Event&) override {}

 private:
  std::shared_ptr<DeviceError> error_;
  mutable std::mutex mutex_;
  uint64_t queued_ = 0, completed_ = 0;
};

}  // namespace nn::detail
