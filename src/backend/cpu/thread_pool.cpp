#include "thread_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"

namespace nn::detail {
namespace {
thread_local bool t_in_worker = false;

std::mutex g_pool_mutex;
std::shared_ptr<ThreadPool> g_pool;
}  // namespace

int default_thread_count() {
  if (const char* env = std::getenv("NN_NUM_THREADS"); env && *env) {
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(env, &end, 10);
    if (errno != 0 || *end != '\0' || n < 1 || n > kMaxThreads)
      throw std::invalid_argument(
          fmt::format("NN_NUM_THREADS='{}': expected an integer in [1, {}]", env, kMaxThreads));
    return static_cast<int>(n);
  }
  return available_cpus();
}

ThreadPool::ThreadPool(int threads) {
  if (threads < 1 || threads > kMaxThreads)
    throw std::invalid_argument(
        fmt::format("thread pool: {} threads requested, expected 1 to {}", threads, kMaxThreads));
  workers_.reserve(static_cast<size_t>(threads - 1));
  try {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  } catch (const std::exception& e) {
    const size_t started = workers_.size();
    stop_workers();
    throw std::runtime_error(
        fmt::format("cannot start {} threads: thread {} failed to start ({}); use fewer threads "
                    "(nn::set_num_threads, NN_NUM_THREADS, or the tool's --threads)",
                    threads, started + 2, e.what()));
  }
}

ThreadPool::~ThreadPool() { stop_workers(); }

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::run_chunks() {
  for (;;) {
    int64_t begin, end;
    const std::function<void(int64_t, int64_t)>* fn;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!fn_ || next_ >= n_) return;
      begin = next_;
      end = std::min(n_, begin + chunk_);
      next_ = end;
      fn = fn_;
      ++active_;
    }
    std::exception_ptr error;
    try {
      (*fn)(begin, end);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (error) {
      if (!error_) error_ = error;
      next_ = n_;  // skip the chunks nobody has started
    }
    if (--active_ == 0 && next_ >= n_) done_.notify_all();
  }
}

void ThreadPool::worker_loop() {
  t_in_worker = true;
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    run_chunks();
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  std::unique_lock<std::mutex> submit(submit_mutex_, std::defer_lock);
  if (workers_.empty() || t_in_worker || n <= grain || !submit.try_lock()) {
    fn(0, n);
    return;
  }
  const int64_t max_chunks = std::min<int64_t>((n + grain - 1) / grain, 4 * int64_t{size()});
  const int64_t chunk = (n + max_chunks - 1) / max_chunks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    fn_ = &fn;
    n_ = n;
    chunk_ = chunk;
    next_ = 0;
    active_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  t_in_worker = true;  // nested calls from fn on this thread run serially
  run_chunks();
  t_in_worker = false;
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return active_ == 0 && next_ >= n_; });
    fn_ = nullptr;
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
}

std::shared_ptr<ThreadPool> thread_pool() {
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  if (!g_pool) g_pool = std::make_shared<ThreadPool>(default_thread_count());
  return g_pool;
}

void set_pool_threads(int n) {
  auto pool = std::make_shared<ThreadPool>(n);  // may throw; the current pool stays
  std::lock_guard<std::mutex> lock(g_pool_mutex);
  g_pool.swap(pool);
  // The previous pool is destroyed when `pool` and the jobs still running on it let go.
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (n <= grain || t_in_worker) {
    fn(0, n);
    return;
  }
  thread_pool()->parallel_for(n, grain, fn);
}

}  // namespace nn::detail
