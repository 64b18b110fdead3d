#pragma once
// The CPU backend's memory: a size-bucketed cache of 64-byte-aligned host blocks.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "nn/backend/backend.hpp"

namespace nn::detail {

// Blocks freed by tensors return here and are handed out again for the same size, so a training
// loop that repeats its shapes stops allocating after its first step. Each thread keeps a small
// cache of its own in front of the shared pool, so threads that allocate per element (input
// pipelines) do not contend on its lock; a thread's cache goes back to the pool when the thread
// ends. The process's allocator lives for the whole process (tensors in static objects may be
// freed after main returns), so blocks are released to it without reference counting.
class HostAllocator {
 public:
  static HostAllocator& instance();
  float* acquire(int64_t count);
  void release(float* p, int64_t count);
  void trim();  // frees the shared pool and the calling thread's cache
  MemoryStats stats() const;

  // Called by a thread's cache: blocks it no longer keeps go to the shared pool.
  void release_shared(float* p, int64_t count);
  // Bookkeeping of the blocks held by threads' caches (for stats()).
  void thread_cached(int64_t floats) { thread_cached_floats_ += floats; }

 private:
  HostAllocator() = default;
  void system_free(float* p, int64_t count);

  mutable std::mutex mutex_;
  std::map<int64_t, std::vector<float*>> free_;
  int64_t cached_floats_ = 0;  // in free_, under mutex_
  std::atomic<int64_t> thread_cached_floats_{0};
  std::atomic<int64_t> system_allocations_{0};
  std::atomic<int64_t> system_floats_{0};
};

}  // namespace nn::detail
