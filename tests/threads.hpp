#pragma once
// Tests of multi-threaded paths set the thread count themselves, so a one-CPU runner takes the
// same paths as a many-core one: for (int t : nn::test::kThreadCounts) { ThreadCount use(t); ... }
#include <doctest/doctest.h>

#include "nn/nn.hpp"

namespace nn::test {

inline constexpr int kThreadCounts[] = {1, 2, 3};

// Sets the pool's size for its lifetime, then restores the size it found.
class ThreadCount {
 public:
  explicit ThreadCount(int threads) : before_(num_threads()) { set_num_threads(threads); }
  ~ThreadCount() { set_num_threads(before_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int before_;
};

}  // namespace nn::test
