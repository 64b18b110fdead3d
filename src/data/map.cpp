// Map: applies a function to every element, on the calling thread (MapIterator) or, when
// num_parallel_calls > 1, on worker threads (ParallelMapIterator), keeping the input order.
//
// ParallelMapIterator keeps the order with a window of chunks: a worker claims the next slot
// at the back of the window and fills it with the next elements of the input (pulling is
// serialised by input_mutex_, so slot order is input order), maps them without any lock and
// marks the slot done; the consumer takes slots from the front only once they are done. The
// window holds at most 2 chunks per thread (plus the prefetch), which bounds the elements in
// flight. Chunks grow until a chunk's work takes ~20 us, so a cheap function (MNIST
// normalisation, ~0.5 us) pays for one lock round trip per ~40 elements while a slow one is
// still spread one element at a time over the threads.
//
// Fusions, as tf.data's optimisations, since the stages that follow a parallel map are cheaper
// done by its workers than by more threads on the same cores:
// - map(...).batch(n): a chunk is a batch, and the worker that mapped it stacks it while its
//   elements are still in its cache (map_and_batch_fusion);
// - map(...)[.batch(n)].prefetch(k): the window grows by k chunks, so the workers run that far
//   ahead, instead of a prefetch thread relaying finished chunks.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "stage.hpp"

namespace nn::data::detail {
namespace {

using MapFn = std::function<Example(Example)>;

class MapIterator : public Iterator {
 public:
  MapIterator(std::unique_ptr<Iterator> input, MapFn fn) : input_(std::move(input)), fn_(std::move(fn)) {}
  std::optional<Example> next() override {
    std::optional<Example> e = input_->next();
    if (e) e = fn_(std::move(*e));
    return e;
  }

 private:
  std::unique_ptr<Iterator> input_;
  MapFn fn_;  // a copy: the iterator may outlive its Dataset
};

// What a ParallelMapIterator does besides mapping: the stages after the map it absorbs.
struct ParallelMapOptions {
  int threads = 2;
  int64_t batch_size = 0;  // > 0: map(...).batch(batch_size, drop_remainder) in one stage
  bool drop_remainder = false;
  int64_t prefetch = 0;  // outputs finished ahead beyond the workers' own (a prefetch)
};

class ParallelMapIterator : public Iterator {
 public:
  ParallelMapIterator(std::unique_ptr<Iterator> input, MapFn fn, const ParallelMapOptions& o)
      : input_(std::move(input)),
        fn_(std::move(fn)),
        max_chunks_(static_cast<size_t>(2 * int64_t{o.threads} + std::max<int64_t>(0, o.prefetch))),
        batch_size_(static_cast<size_t>(o.batch_size)),
        drop_remainder_(o.drop_remainder) {
    if (batch_size_ > 0) chunk_size_ = batch_size_;  // one chunk, one batch
    workers_.reserve(static_cast<size_t>(o.threads));
    try {
      for (int i = 0; i < o.threads; ++i) workers_.emplace_back([this] { work(); });
    } catch (...) {  // out of threads: stop the ones started, or their destructor terminates
      stop();
      throw;
    }
  }

  ~ParallelMapIterator() override { stop(); }

  ParallelMapIterator(const ParallelMapIterator&) = delete;
  ParallelMapIterator& operator=(const ParallelMapIterator&) = delete;

  std::optional<Example> next() override {
    for (;;) {
      if (pos_ < items_.size()) return std::move(items_[pos_++]);
      if (error_) {
        finished_ = true;
        std::rethrow_exception(std::exchange(error_, nullptr));
      }
      if (finished_) return std::nullopt;
      Chunk chunk;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return window_.empty() ? input_ended_ : window_.front().done; });
        if (window_.empty()) {
          finished_ = true;
          return std::nullopt;
        }
        chunk = std::move(window_.front());
        window_.pop_front();
        items_.clear();
        spare_.push_back(std::move(items_));  // its capacity serves a later chunk
      }
      space_.notify_one();  // only the worker holding input_mutex_ can be waiting
      items_ = std::move(chunk.items);
      pos_ = 0;
      error_ = chunk.error;
    }
  }

 private:
  struct Chunk {
    std::vector<Example> items;
    std::exception_ptr error;  // after items (from fn or from the input)
    bool done = false;
  };

  void work() {
    using Clock = std::chrono::steady_clock;
    std::vector<Example> batch_items;  // fused batch: this worker's mapped elements, reused
    for (;;) {
      Chunk* chunk = nullptr;
      std::vector<Example> items;  // the chunk's result, a recycled vector
      std::exception_ptr error;
      std::vector<Example>& mapped = batch_size_ > 0 ? batch_items : items;
      {
        std::lock_guard<std::mutex> in(input_mutex_);
        {
          std::unique_lock<std::mutex> lock(mutex_);
          space_.wait(lock, [&] { return stop_ || input_ended_ || window_.size() < max_chunks_; });
          if (stop_ || input_ended_) return;
          chunk = &window_.emplace_back();  // deque: stays valid while others push and pop
          if (!spare_.empty()) {
            items = std::move(spare_.back());
            spare_.pop_back();
          }
        }
        const size_t k = chunk_size_.load(std::memory_order_relaxed);
        bool ended = false;
        try {
          while (mapped.size() < k && !stopping_.load(std::memory_order_relaxed)) {
            std::optional<Example> e = input_->next();
            if (!e) {
              ended = true;
              break;
            }
            mapped.push_back(std::move(*e));
          }
        } catch (...) {
          error = std::current_exception();
          ended = true;
        }
        if (ended) end_input();
      }

      const auto start = Clock::now();
      for (size_t i = 0; i < mapped.size(); ++i) {
        if (stopping_.load(std::memory_order_relaxed)) return;  // the consumer is gone
        try {
          mapped[i] = fn_(std::move(mapped[i]));
        } catch (...) {
          error = std::current_exception();  // precedes any input error, which came later
          mapped.resize(i);
          end_input();
          break;
        }
      }
      if (batch_size_ > 0) {
        batch(batch_items, items, error);
      } else if (!items.empty()) {
        const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        const double per_item = std::max(1.0, ns / static_cast<double>(items.size()));
        chunk_size_.store(static_cast<size_t>(std::clamp(kTargetChunkNs / per_item, 1.0, kMaxChunk)),
                          std::memory_order_relaxed);
      }

      bool front;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        chunk->items = std::move(items);
        chunk->error = std::move(error);
        chunk->done = true;
        front = chunk == &window_.front();
      }
      if (front) ready_.notify_one();
    }
  }

  // out = the batch of the mapped elements (none for a dropped remainder, or when an error
  // ends the chunk: the batch it belonged to is not emitted, as unfused). Empties mapped.
  void batch(std::vector<Example>& mapped, std::vector<Example>& out, std::exception_ptr& error) const {
    if (!error && !mapped.empty() && !(drop_remainder_ && mapped.size() < batch_size_)) {
      try {
        out.push_back(stack(mapped.data(), static_cast<int64_t>(mapped.size())));
      } catch (...) {
        error = std::current_exception();
      }
    }
    mapped.clear();
  }

  void stop() {
    stopping_ = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    for (std::thread& t : workers_) t.join();  // after the fn call or pull in progress
  }

  // No worker claims another chunk; the consumer ends after the chunks already claimed.
  void end_input() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      input_ended_ = true;
    }
    space_.notify_all();
    ready_.notify_one();
  }

  static constexpr double kTargetChunkNs = 20e3;
  static constexpr double kMaxChunk = 64;  // keeps a chunk's outputs (~200 KB for MNIST) in L2

  std::unique_ptr<Iterator> input_;  // guarded by input_mutex_
  MapFn fn_;
  size_t max_chunks_;
  size_t batch_size_;  // 0: not fused with a batch
  bool drop_remainder_;
  std::atomic<size_t> chunk_size_{1};
  std::mutex input_mutex_;
  std::mutex mutex_;                         // guards everything below up to workers_
  std::condition_variable ready_;            // consumer: the front chunk is done, or the input ended
  std::condition_variable space_;            // the input_mutex_ holder: window has room, or stop
  std::deque<Chunk> window_;                 // claimed chunks in input order
  std::vector<std::vector<Example>> spare_;  // emptied chunk vectors, to spare a malloc each
  bool input_ended_ = false;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};  // stop_, readable without the lock mid-chunk
  std::vector<std::thread> workers_;
  // Consumer side (the thread calling next()), no lock needed.
  std::vector<Example> items_;
  size_t pos_ = 0;
  std::exception_ptr error_;
  bool finished_ = false;
};

class Map : public Stage {
 public:
  Map(StagePtr input, MapFn fn, int threads)
      : input_(std::move(input)), fn_(std::move(fn)), threads_(threads) {}

  std::unique_ptr<Iterator> make_iterator() const override {
    if (threads_ > 1) return parallel({});
    return std::make_unique<MapIterator>(input_->make_iterator(), fn_);
  }
  std::unique_ptr<Iterator> make_batched_iterator(int64_t batch_size, bool drop_remainder,
                                                  int64_t prefetch) const override {
    // One worker stacks a whole batch: past a few hundred elements per batch, fewer batches
    // than threads would be in flight, so large batches keep map and batch apart.
    if (threads_ <= 1 || batch_size > kMaxFusedBatch) return nullptr;
    ParallelMapOptions o;
    o.batch_size = batch_size;
    o.drop_remainder = drop_remainder;
    o.prefetch = prefetch;
    return parallel(o);
  }
  std::unique_ptr<Iterator> make_prefetched_iterator(int64_t prefetch) const override {
    if (threads_ <= 1) return nullptr;
    ParallelMapOptions o;
    o.prefetch = prefetch;
    return parallel(o);
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  static constexpr int64_t kMaxFusedBatch = 512;

  std::unique_ptr<Iterator> parallel(ParallelMapOptions o) const {
    o.threads = threads_;
    return std::make_unique<ParallelMapIterator>(input_->make_iterator(), fn_, o);
  }

  StagePtr input_;
  MapFn fn_;
  int threads_;
};

}  // namespace

StagePtr make_map(StagePtr input, MapFn fn, int threads) {
  return std::make_shared<Map>(std::move(input), std::move(fn), threads);
}

}  // namespace nn::data::detail
