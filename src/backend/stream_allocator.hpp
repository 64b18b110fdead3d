#pragma once
// The caching allocator of a device with streams (the test device and CUDA): a freed block
// is kept for reuse, but handed out again only once the stream it was freed on has run past the
// point of its release, since kernels queued before then may still read or write it. Freed blocks
// wait in a pending list with an Event; when pending memory passes a bound, the allocator waits
// for the device (as a GPU allocator does before giving up) rather than grow without limit.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "nn/backend/backend.hpp"

namespace nn::detail {

class StreamAllocator {
 public:
  struct System {
    std::function<void*(size_t bytes)> allocate;  // throws std::bad_alloc when out of memory
    std::function<void(void* p, size_t bytes)> free;
    // Called on every block as it is freed and as it is handed out (the test device writes NaN
    // there, so a read of freed or unwritten memory shows); may be null.
    std::function<void(void* p, size_t bytes)> poison;
    // Waits until every stream of the device has run what is queued, raising nothing of what the
    // device recorded for others to raise; null: Backend::synchronize().
    std::function<void()> wait_all;
  };
  // With reuse_on_same_stream, a block freed on the allocating thread's current stream is handed out
  // again at once: work queued on one stream runs in order, so the new owner's kernels run after the
  // old owner's (PyTorch's caching allocator does the same). The test device leaves this off, so every
  // reuse waits for an event.
  StreamAllocator(Backend& backend, System system, int64_t max_pending_bytes, bool reuse_on_same_stream = false);
  StreamAllocator(const StreamAllocator&) = delete;
  StreamAllocator& operator=(const StreamAllocator&) = delete;

  // `units` 4-byte units; the deleter returns the block, tagged with an event on the freeing
  // thread's current stream.
  std::shared_ptr<float> allocate(int64_t units);
  void release_cached();  // frees the blocks that are free now (pending ones stay pending)
  MemoryStats stats() const;

 private:
  struct Pending {
    void* p;
    size_t bytes;
    Event freed;
  };
  void release(void* p, size_t bytes) noexcept;
  void wait_all();
  void collect_passed();  // under mutex_: pending blocks whose event has passed become free
  void* take_free(size_t bytes);
  void* take_pending_on(const Stream* stream, size_t bytes);  // under mutex_

  Backend& backend_;
  System system_;
  int64_t max_pending_bytes_;
  bool reuse_on_same_stream_;
  mutable std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;
  std::vector<Pending> pending_;
  int64_t free_bytes_ = 0, pending_bytes_ = 0, system_bytes_ = 0, system_allocations_ = 0;
};

}  // namespace nn::detail
