#include "cpu_allocator.hpp"

#include <cstdlib>
#include <new>
#include <utility>

namespace nn::detail {
namespace {
constexpr int64_t kMaxCachedFloats = int64_t{1} << 30;  // 4 GiB of cached blocks at most

// A thread's own blocks, by size; bounded so a thread cannot hoard memory.
struct ThreadCache {
  static constexpr size_t kMaxPerSize = 256;
  static constexpr int64_t kMaxFloats = int64_t{16} << 20;  // 64 MiB per thread
  std::vector<std::pair<int64_t, std::vector<float*>>> sizes;  // few distinct sizes: linear scan
  int64_t floats = 0;

  std::vector<float*>* find(int64_t count) {
    for (auto& [n, blocks] : sizes)
      if (n == count) return &blocks;
    return nullptr;
  }
  void drain() {
    HostAllocator& allocator = HostAllocator::instance();
    for (auto& [n, blocks] : sizes)
      for (float* p : blocks) allocator.release_shared(p, n);
    allocator.thread_cached(-floats);
    sizes.clear();
    floats = 0;
  }
  ~ThreadCache();
};
thread_local ThreadCache t_cache;
// Set when this thread's cache is gone (thread exit; static objects freed after it use the pool).
thread_local bool t_cache_gone = false;
ThreadCache::~ThreadCache() {
  drain();
  t_cache_gone = true;
}
}  // namespace

HostAllocator& HostAllocator::instance() {
  static HostAllocator* allocator = new HostAllocator();  // never destroyed, see the header
  return *allocator;
}

float* HostAllocator::acquire(int64_t count) {
  if (auto* blocks = t_cache_gone ? nullptr : t_cache.find(count); blocks && !blocks->empty()) {
    float* p = blocks->back();
    blocks->pop_back();
    t_cache.floats -= count;
    thread_cached(-count);
    return p;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(count);
    if (it != free_.end() && !it->second.empty()) {
      float* p = it->second.back();
      it->second.pop_back();
      cached_floats_ -= count;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, static_cast<size_t>(count) * sizeof(float));
  if (!p) {
    trim();
    p = std::aligned_alloc(64, static_cast<size_t>(count) * sizeof(float));
    if (!p) throw std::bad_alloc();
  }
  ++system_allocations_;
  system_floats_ += count;
  return static_cast<float*>(p);
}

void HostAllocator::release(float* p, int64_t count) {
  if (!t_cache_gone && t_cache.floats + count <= ThreadCache::kMaxFloats) {
    auto* blocks = t_cache.find(count);
    if (!blocks) {
      t_cache.sizes.emplace_back(count, std::vector<float*>{});
      blocks = &t_cache.sizes.back().second;
    }
    if (blocks->size() < ThreadCache::kMaxPerSize) {
      blocks->push_back(p);
      t_cache.floats += count;
      thread_cached(count);
      return;
    }
  }
  release_shared(p, count);
}

void HostAllocator::system_free(float* p, int64_t count) {
  std::free(p);
  system_floats_ -= count;
}

void HostAllocator::release_shared(float* p, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_floats_ + count > kMaxCachedFloats) {
    system_free(p, count);
    return;
  }
  free_[count].push_back(p);
  cached_floats_ += count;
}

void HostAllocator::trim() {
  if (!t_cache_gone) t_cache.drain();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [count, blocks] : free_)
    for (float* p : blocks) system_free(p, count);
  free_.clear();
  cached_floats_ = 0;
}

MemoryStats HostAllocator::stats() const {
  MemoryStats s;
  s.system_allocations = system_allocations_.load();
  s.system_bytes = system_floats_.load() * static_cast<int64_t>(sizeof(float));
  int64_t cached = thread_cached_floats_.load();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cached += cached_floats_;
  }
  s.cached_bytes = cached * static_cast<int64_t>(sizeof(float));
  return s;
}

}  // namespace nn::detail
