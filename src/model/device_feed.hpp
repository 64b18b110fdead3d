#pragma once
// fit's batches on their way to the model's device.
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "nn/backend/backend.hpp"
#include "nn/data/dataset.hpp"

namespace nn::detail {

// Batches on their way to the model's device. On a device with memory of its own, the copy of the
// next batch is queued on a stream of its own while the current step runs (so on a GPU they
// overlap), from the backend's staging memory (page-locked on a GPU, which a copy needs to run
// asynchronously), and the step's stream waits for that copy's event before it reads the batch.
// On the host, batches are used as they come.
class DeviceFeed {
 public:
  explicit DeviceFeed(Device device) : device_(device) {
    if (!device.is_host()) copy_stream_ = backend_for(device).new_stream();
  }
  // The next batch of `it` on the device, ready for the current stream; nullopt at its end.
  std::optional<data::Example> next(data::Iterator& it) {
    std::optional<Staged> b = ahead_ ? std::exchange(ahead_, std::nullopt) : stage(it.next());
    if (!b) return std::nullopt;
    if (copy_stream_) {
      ahead_ = stage(it.next());
      backend_for(device_).current_stream()->wait_for(b->ready);
    }
    return std::move(b->batch);
  }
  // A new pass begins: the batch copied ahead is dropped, once the current stream has waited for
  // its copy (its memory is then freed in that stream's order, not while the copy still writes it).
  void restart() {
    if (ahead_ && copy_stream_) backend_for(device_).current_stream()->wait_for(ahead_->ready);
    ahead_.reset();
  }
  ~DeviceFeed() {
    try {
      restart();
    } catch (...) {  // a device fault: the next wait reports it
    }
  }
  DeviceFeed(const DeviceFeed&) = delete;
  DeviceFeed& operator=(const DeviceFeed&) = delete;

 private:
  struct Staged {
    data::Example batch;
    Event ready;  // its copy is done
  };
  // Staging memory, kept until the copies from it have passed.
  struct InFlight {
    std::vector<std::shared_ptr<void>> buffers;
    Event done;
  };
  std::optional<Staged> stage(std::optional<data::Example> b) {
    if (!b) return std::nullopt;
    if (!copy_stream_) return Staged{std::move(*b), Event()};
    while (!in_flight_.empty() && in_flight_.front().done.query()) in_flight_.pop_front();
    StreamGuard guard(copy_stream_);
    std::vector<std::shared_ptr<void>> buffers;
    data::Example e(upload(b->x, buffers), upload(b->y, buffers));
    for (const Tensor& t : b->extra_x) e.extra_x.push_back(upload(t, buffers));
    for (const Tensor& t : b->extra_y) e.extra_y.push_back(upload(t, buffers));
    Staged s{std::move(e), Event(copy_stream_)};
    in_flight_.push_back({std::move(buffers), s.ready});
    return s;
  }
  // t on the device; a host tensor goes through staging memory, kept in `staging`.
  Tensor upload(const Tensor& t, std::vector<std::shared_ptr<void>>& staging) {
    if (!t.defined() || !t.device().is_host() || t.numel() == 0) return t.defined() ? t.to(device_) : t;
    Backend& be = backend_for(device_);
    std::shared_ptr<void> buffer = be.host_staging(t.nbytes());
    std::memcpy(buffer.get(), t.raw_data(), t.nbytes());
    Tensor out(t.shape(), t.options().device(device_));
    be.copy_bytes_from_host(buffer.get(), out.untyped_data_ptr(), t.nbytes());
    staging.push_back(std::move(buffer));
    return out;
  }

  Device device_;
  StreamPtr copy_stream_;
  std::optional<Staged> ahead_;
  std::deque<InFlight> in_flight_;
};

}  // namespace nn::detail
