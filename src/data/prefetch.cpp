// Prefetch: a background thread pulls from the input into a bounded queue, so the consumer
// (a training step) and the input pipeline overlap. The thread owns the input iterator for the
// whole pass; an exception it catches is handed to the consumer after the elements before it.
// Destroying the iterator stops the thread at its next queue check and joins it.
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "stage.hpp"

namespace nn::data::detail {
namespace {

class PrefetchIterator : public Iterator {
 public:
  PrefetchIterator(std::unique_ptr<Iterator> input, int64_t buffer_size)
      : input_(std::move(input)), capacity_(static_cast<size_t>(buffer_size)) {
    thread_ = std::thread([this] { produce(); });  // last: every member is ready
  }

  ~PrefetchIterator() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    space_.notify_one();
    thread_.join();  // an input->next() in progress finishes first
  }

  PrefetchIterator(const PrefetchIterator&) = delete;
  PrefetchIterator& operator=(const PrefetchIterator&) = delete;

  std::optional<Example> next() override {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || ended_; });
    if (!queue_.empty()) {
      Example e = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      space_.notify_one();
      return e;
    }
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return std::nullopt;
  }

 private:
  void produce() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        space_.wait(lock, [&] { return stop_ || queue_.size() < capacity_; });
        if (stop_) return;
      }
      std::optional<Example> e;
      std::exception_ptr error;
      try {
        e = input_->next();
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (e) {
          queue_.push_back(std::move(*e));
        } else {
          ended_ = true;
          error_ = std::move(error);  // the consumer holds the only reference
        }
      }
      ready_.notify_one();
      if (!e) {
        input_.reset();  // release upstream resources (its threads) as soon as it is done
        return;
      }
    }
  }

  std::unique_ptr<Iterator> input_;  // used by the producer thread only
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;  // consumer: an element, the end or an error is queued
  std::condition_variable space_;  // producer: the queue has room, or stop
  std::deque<Example> queue_;
  bool ended_ = false;
  bool stop_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

class Prefetch : public Stage {
 public:
  Prefetch(StagePtr input, int64_t buffer_size) : input_(std::move(input)), buffer_size_(buffer_size) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    // A parallel map (and a batch after it) already runs in background threads: it can buffer
    // for us, which saves a thread and a hand-off per element.
    if (auto fused = input_->make_prefetched_iterator(buffer_size_)) return fused;
    return std::make_unique<PrefetchIterator>(input_->make_iterator(), buffer_size_);
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  StagePtr input_;
  int64_t buffer_size_;
};

}  // namespace

StagePtr make_prefetch(StagePtr input, int64_t buffer_size) {
  return std::make_shared<Prefetch>(std::move(input), buffer_size);
}

}  // namespace nn::data::detail
