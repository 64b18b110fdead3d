#pragma once
// Dynamic batching between the HTTP threads and the model (TF Serving's batching session): a
// request thread enqueues its inputs and waits; one thread takes requests from the queue, and
// with batching on keeps taking them for up to timeout_us after the first, while the batch stays
// within max_batch_size rows, then runs them as one forward pass and hands each its rows. The
// queue is bounded (max_enqueued rows): a request that does not fit is refused at once. Each
// request runs on the servable it was resolved and parsed against: a batch holds one servable's
// requests (a version swap ends a batch), so no request is answered by a version it did not ask for.
// The batching thread owns a stream of the models' device: its batches queue their copies and
// kernels there, apart from the streams of any training in the same process.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "serving/model_store.hpp"

namespace nn::serving::detail {

struct BatchingOptions {
  bool enabled = true;
  int64_t max_batch_size = 64;     // rows; a larger request runs alone
  int64_t timeout_us = 1000;       // how long the first request of a batch waits for company
  int64_t max_enqueued = 4096;     // rows waiting at most
  Device device = Device::cpu();   // where the servables' models are
};

struct Prediction {
  Tensor probabilities;  // (N, classes)
  int64_t version = 0;
};

class Batcher {
 public:
  using OnBatch = std::function<void(int64_t rows, int64_t queued)>;
  Batcher(BatchingOptions options, OnBatch on_batch);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // x: (N, *servable.input_shape). Blocks until the batch ran. Throws RequestError(503) when the
  // queue is full; rethrows what the forward pass threw.
  Prediction predict(std::shared_ptr<const Servable> servable, Tensor x);

 private:
  struct Request {
    std::shared_ptr<const Servable> servable;
    Tensor x;
    std::promise<Prediction> done;
  };
  void work();
  void run(std::vector<std::unique_ptr<Request>>& batch);

  BatchingOptions o_;
  OnBatch on_batch_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Request>> queue_;
  int64_t queued_rows_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace nn::serving::detail
