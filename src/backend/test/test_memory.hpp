#pragma once
// The test device's memory: one reserved region of address space that the host can read and write
// only while the test backend works in it (a DeviceAccess is alive: a kernel, a copy, the
// allocator's poisoning). The rest of the time its pages are PROT_NONE, so host code that
// dereferences a device pointer (a stray read, as on a GPU) dies of SIGSEGV instead of passing.
#include <cstddef>
#include <map>
#include <mutex>
#include <vector>

namespace nn::detail {

class TestMemory {
 public:
  static TestMemory& instance();  // never destroyed (tensors in statics may outlive main)
  // 64-byte-aligned blocks from the region, reused by size after free(); std::bad_alloc when
  // the region is full.
  void* allocate(size_t bytes);
  void free(void* p, size_t bytes);
  void begin_access();
  void end_access();

 private:
  TestMemory();
  void protect(size_t from, size_t to, bool open);  // under mutex_

  std::mutex mutex_;
  char* base_ = nullptr;
  size_t reserved_ = 0, used_ = 0, opened_ = 0;  // opened_: bytes now readable (page-rounded)
  int depth_ = 0;                                 // live DeviceAccess objects
  std::map<size_t, std::vector<void*>> free_;
};

// The host may touch test-device memory while one of these lives (nestable, any thread).
class DeviceAccess {
 public:
  DeviceAccess() { TestMemory::instance().begin_access(); }
  ~DeviceAccess() { TestMemory::instance().end_access(); }
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;
};

}  // namespace nn::detail
