#include "stream_allocator.hpp"

#include <exception>
#include <new>
#include <utility>
#include <vector>

namespace nn::detail {

StreamAllocator::StreamAllocator(Backend& backend, System system, int64_t max_pending_bytes, bool reuse_on_same_stream)
    : backend_(backend),
      system_(std::move(system)),
      max_pending_bytes_(max_pending_bytes),
      reuse_on_same_stream_(reuse_on_same_stream) {}

void StreamAllocator::collect_passed() {
  // A stream passes its positions in order: once one is found not passed, later ones on that stream
  // are not asked about (a query may cost a call into the driver).
  std::vector<std::pair<const Stream*, uint64_t>> not_passed;
  const auto known_pending = [&](const Event& e) {
    for (const auto& [s, position] : not_passed)
      if (s == e.stream().get() && e.position() >= position) return true;
    return false;
  };
  size_t kept = 0;
  std::exception_ptr error;
  for (size_t i = 0; i < pending_.size(); ++i) {
    Pending& b = pending_[i];
    bool passed = false;
    if (!error && !known_pending(b.freed)) {
      try {
        passed = b.freed.query();
      } catch (...) {  // a device fault: keep the list whole, then report it
        error = std::current_exception();
      }
    }
    if (!passed && b.freed.stream()) not_passed.emplace_back(b.freed.stream().get(), b.freed.position());
    if (passed) {
      free_[b.bytes].push_back(b.p);
      free_bytes_ += static_cast<int64_t>(b.bytes);
      pending_bytes_ -= static_cast<int64_t>(b.bytes);
      continue;
    }
    if (kept != i) pending_[kept] = std::move(b);
    ++kept;
  }
  pending_.resize(kept);
  if (error) std::rethrow_exception(error);
}

void* StreamAllocator::take_free(size_t bytes) {
  auto it = free_.find(bytes);
  if (it == free_.end() || it->second.empty()) return nullptr;
  void* p = it->second.back();
  it->second.pop_back();
  free_bytes_ -= static_cast<int64_t>(bytes);
  return p;
}

void* StreamAllocator::take_pending_on(const Stream* stream, size_t bytes) {
  for (size_t i = pending_.size(); i-- > 0;) {  // the most recently freed first (warm in cache)
    if (pending_[i].bytes != bytes || pending_[i].freed.stream().get() != stream) continue;
    void* p = pending_[i].p;
    pending_bytes_ -= static_cast<int64_t>(bytes);
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    return p;
  }
  return nullptr;
}

std::shared_ptr<float> StreamAllocator::allocate(int64_t units) {
  const size_t bytes = static_cast<size_t>(units) * 4;
  void* p = nullptr;
  bool waited = false;
  const StreamPtr current = reuse_on_same_stream_ ? backend_.current_stream() : nullptr;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    // A block freed on this stream first: no event to ask about (the steady state of a loop).
    if (current) p = take_pending_on(current.get(), bytes);
    if (!p) {
      collect_passed();
      p = take_free(bytes);
    }
    if (p || waited || pending_bytes_ <= max_pending_bytes_) break;
    lock.unlock();
    wait_all();  // too much waits on the streams: let them pass, then reuse
    waited = true;
  }
  if (!p) {
    try {
      p = system_.allocate(bytes);
    } catch (const std::bad_alloc&) {
      wait_all();
      release_cached();  // every pending block has passed now
      p = system_.allocate(bytes);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    system_bytes_ += static_cast<int64_t>(bytes);
    ++system_allocations_;
  }
  if (system_.poison) system_.poison(p, bytes);
  return std::shared_ptr<float>(static_cast<float*>(p), [this, bytes](float* q) { release(q, bytes); });
}

void StreamAllocator::wait_all() {
  if (system_.wait_all)
    system_.wait_all();
  else
    backend_.synchronize();
}

// A tensor's deleter: it must not throw. When the device cannot record the block's release (a
// device fault), the block is not reused: it is leaked rather than handed out while work may
// still use it.
void StreamAllocator::release(void* p, size_t bytes) noexcept {
  try {
    if (system_.poison) system_.poison(p, bytes);
    Event freed(backend_.current_stream());
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back({p, bytes, std::move(freed)});
    pending_bytes_ += static_cast<int64_t>(bytes);
  } catch (...) {
  }
}

void StreamAllocator::release_cached() {
  std::lock_guard<std::mutex> lock(mutex_);
  collect_passed();
  for (auto& [bytes, blocks] : free_)
    for (void* p : blocks) {
      system_.free(p, bytes);
      system_bytes_ -= static_cast<int64_t>(bytes);
    }
  free_.clear();
  free_bytes_ = 0;
}

MemoryStats StreamAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {system_allocations_, system_bytes_, free_bytes_ + pending_bytes_};
}

}  // namespace nn::detail
