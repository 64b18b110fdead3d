// Map: applies a function to every element, on the calling thread or on worker threads.
//
// The parallel version keeps the input order with a window of chunks: a worker claims the next
// slot at the back of the window and fills it with the next elements of the input (pulling is
// serialised by input_mutex_, so slot order is input order), maps them without any lock and
// marks the slot done; the consumer takes slots from the front only once they are done. The
// window holds at most 2 chunks per thread, which bounds the elements in flight. Chunks grow
// until a chunk's work takes ~20 µs, so a cheap function (MNIST normalisation, ~0.3 µs) pays
// for one lock round trip per ~64 elements while a slow one is still spread one element at a
// time across the threads.
//
// map(...).batch(n) fuses into one stage, as tf.data's map_and_batch_fusion: a chunk is a
// batch, and the worker that mapped it stacks it while its elements are still in its cache.
// That moves batch's copy off the consumer's thread onto the map threads.
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

class ParallelMapIterator : public Iterator {
 public:
  // batch_size > 0: each chunk is one batch of that many elements (fused map + batch).
  ParallelMapIterator(std::unique_ptr<Iterator> input, MapFn fn, int threads,
                      int64_t batch_size = 0, bool drop_remainder = false)
      : input_(std::move(input)), fn_(std::move(fn)), max_chunks_(2 * static_cast<size_t>(threads)),
        batch_size_(static_cast<size_t>(batch_size)), drop_remainder_(drop_remainder) {
    if (batch_size_ > 0) chunk_size_ = batch_size_;
    workers_.reserve(static_cast<size_t>(threads));
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
  }

  ~ParallelMapIterator() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

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
        ready_.wait(lock, [&] {
          return window_.empty() ? input_ended_ : window_.front().done;
        });
        if (window_.empty()) {
          finished_ = true;
          return std::nullopt;
        }
        chunk = std::move(window_.front());
        window_.pop_front();
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
    for (;;) {
      Chunk* chunk = nullptr;
      std::vector<Example> items;
      std::exception_ptr error;
      {
        std::lock_guard<std::mutex> in(input_mutex_);
        {
          std::unique_lock<std::mutex> lock(mutex_);
          space_.wait(lock, [&] { return stop_ || input_ended_ || window_.size() < max_chunks_; });
          if (stop_ || input_ended_) return;
          chunk = &window_.emplace_back();  // deque: stays valid while others push and pop
        }
        const size_t k = chunk_size_.load(std::memory_order_relaxed);
        items.reserve(k);
        bool ended = false;
        try {
          while (items.size() < k) {
            std::optional<Example> e = input_->next();
            if (!e) {
              ended = true;
              break;
            }
            items.push_back(std::move(*e));
          }
        } catch (...) {
          error = std::current_exception();
          ended = true;
        }
        if (ended) end_input();
      }

      const auto start = Clock::now();
      for (size_t i = 0; i < items.size(); ++i) {
        try {
          items[i] = fn_(std::move(items[i]));
        } catch (...) {
          error = std::current_exception();  // precedes any input error, which came later
          items.resize(i);
          end_input();
          break;
        }
      }
      if (batch_size_ > 0) {
        batch(items, error);
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
        chunk->error = error;
        chunk->done = true;
        front = chunk == &window_.front();
      }
      if (front) ready_.notify_one();
    }
  }

  // Replaces a chunk's mapped elements by their batch (none for a dropped remainder, or when
  // an error ends the chunk: the batch it belonged to is not emitted, as unfused).
  void batch(std::vector<Example>& items, std::exception_ptr& error) const {
    if (error || items.empty() || (drop_remainder_ && items.size() < batch_size_)) {
      items.clear();
      return;
    }
    try {
      Example b = stack(items.data(), static_cast<int64_t>(items.size()));
      items.clear();
      items.push_back(std::move(b));
    } catch (...) {
      error = std::current_exception();
      items.clear();
    }
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
  std::mutex mutex_;               // guards everything below up to workers_
  std::condition_variable ready_;  // consumer: the front chunk is done, or the input ended
  std::condition_variable space_;  // the input_mutex_ holder: window has room, or stop
  std::deque<Chunk> window_;       // claimed chunks in input order
  bool input_ended_ = false;
  bool stop_ = false;
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
    if (threads_ > 1)
      return std::make_unique<ParallelMapIterator>(input_->make_iterator(), fn_, threads_);
    return std::make_unique<MapIterator>(input_->make_iterator(), fn_);
  }
  std::unique_ptr<Iterator> make_batched_iterator(int64_t batch_size,
                                                  bool drop_remainder) const override {
    // One worker stacks a whole batch: past a few hundred elements per batch, fewer batches
    // than threads would be in flight, so large batches keep map and batch apart.
    if (threads_ <= 1 || batch_size > kMaxFusedBatch) return nullptr;
    return std::make_unique<ParallelMapIterator>(input_->make_iterator(), fn_, threads_,
                                                 batch_size, drop_remainder);
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  static constexpr int64_t kMaxFusedBatch = 512;
  StagePtr input_;
  MapFn fn_;
  int threads_;
};

}  // namespace

StagePtr make_map(StagePtr input, MapFn fn, int threads) {
  return std::make_shared<Map>(std::move(input), std::move(fn), threads);
}

}  // namespace nn::data::detail
