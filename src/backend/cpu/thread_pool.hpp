#pragma once
// A fixed pool of worker threads for the CPU backend's data-parallel loops.
//
// The pool owns the cores: OpenBLAS is kept single-threaded and GEMMs are split across the pool
// instead (cpu_gemm.cpp), so BLAS threads and ours never compete for the same cores. Workers
// sleep on a condition variable between jobs (no spinning).
//
// - One job at a time: a parallel_for issued while another caller's job runs, or from inside a
//   worker, runs on the calling thread instead of waiting (or deadlocking).
// - Exceptions: the first exception a chunk throws is rethrown to the caller once every started
//   chunk has finished; chunks not yet started are skipped. The pool stays usable.
// - A pool that cannot start all its threads throws std::runtime_error after stopping the ones it
//   started (no half-built pool, no hang).
// - The process-wide pool is held by shared_ptr: set_num_threads swaps in a new pool, and the old
//   one lives until the jobs running on it have finished.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nn::detail {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // threads in all, the calling thread included
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
  void stop_workers();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 0, next_ = 0, active_ = 0;
  std::exception_ptr error_;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::mutex submit_mutex_;  // held by the caller whose job runs
};

// The process-wide pool (created on first use; replaced by nn::set_num_threads).
std::shared_ptr<ThreadPool> thread_pool();
void set_pool_threads(int n);

// thread_pool()->parallel_for(n, grain, fn); serial when n <= grain or on a worker thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// The default pool size: NN_NUM_THREADS when set, else available_cpus().
int default_thread_count();

}  // namespace nn::detail
