#include "test_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace nn::detail {
namespace {
constexpr size_t kReserved = size_t{16} << 30;  // address space only: pages exist once touched

size_t page_size() {
  static const size_t p = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  return p;
}
size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }
}  // namespace

TestMemory& TestMemory::instance() {
  static auto* memory = new TestMemory();
  return *memory;
}

TestMemory::TestMemory() : reserved_(kReserved) {
  void* p = ::mmap(nullptr, reserved_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error(std::string("test device: cannot reserve its memory: ") + std::strerror(errno));
  base_ = static_cast<char*>(p);
}

void TestMemory::protect(size_t from, size_t to, bool open) {
  if (to <= from) return;
  if (::mprotect(base_ + from, to - from, open ? PROT_READ | PROT_WRITE : PROT_NONE) != 0)
    throw std::runtime_error(std::string("test device: mprotect: ") + std::strerror(errno));
}

void* TestMemory::allocate(size_t bytes) {
  bytes = round_up(bytes == 0 ? 1 : bytes, 64);
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = free_.find(bytes); it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    return p;
  }
  if (bytes > reserved_ - used_) throw std::bad_alloc();
  void* p = base_ + used_;
  used_ += bytes;
  if (depth_ > 0 && round_up(used_, page_size()) > opened_) {  // grown while open: open the new pages too
    const size_t to = round_up(used_, page_size());
    protect(opened_, to, true);
    opened_ = to;
  }
  return p;
}

void TestMemory::free(void* p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_[round_up(bytes == 0 ? 1 : bytes, 64)].push_back(p);
}

void TestMemory::begin_access() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (depth_++ == 0) {
    opened_ = round_up(used_, page_size());
    protect(0, opened_, true);
  }
}

void TestMemory::end_access() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--depth_ == 0) {
    protect(0, opened_, false);
    opened_ = 0;
  }
}

}  // namespace nn::detail
