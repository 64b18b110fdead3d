#pragma once
// A stream whose work is done when the call that queued it returns (the CPU's): every position
// it records has been passed already.
#include <atomic>

#include "nn/backend/backend.hpp"

namespace nn::detail {

class SyncStream : public Stream {
 public:
  explicit SyncStream(Device device) : device_(device) {}
  Device device() const override { return device_; }
  uint64_t record() override { return ++position_; }
  bool passed(uint64_t) const override { return true; }
  void wait_until(uint64_t) override {}
  void wait_for(const Event&) override {}

 private:
  Device device_;
  std::atomic<uint64_t> position_{0};
};

}  // namespace nn::detail
