#pragma once
// A fixed pool of worker threads for the CPU backend's data-parallel loops.
//
// The pool owns the cores: OpenBLAS is kept single-threaded and GEMMs are split across the pool
// instead (cpu_gemm.cpp), so BLAS threads and ours never compete for the same cores.
// Workers sleep on a condition variable between jobs (no spinning); a parallel_for issued from
// inside a worker runs serially rather than deadlocking.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nn::detail {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }  // workers + the caller

  // Calls fn(begin, end) on disjoint chunks covering [0, n), each at least `grain` long
  // (except the last), and returns when all are done.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 0, next_ = 0, chunks_left_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::mutex submit_mutex_;  // one job at a time
};

// The process-wide pool (resized by nn::set_num_threads).
ThreadPool& thread_pool();

// Convenience: thread_pool().parallel_for(n, grain, fn), serial when n <= grain.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace nn::detail
