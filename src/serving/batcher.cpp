#include "serving/batcher.hpp"

#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "nn/model/classify.hpp"
#include "serving/requests.hpp"

namespace nn::serving::detail {

Batcher::Batcher(BatchingOptions options, OnBatch on_batch) : o_(options), on_batch_(std::move(on_batch)) {
  if (o_.max_batch_size < 1 || o_.max_enqueued < 1 || o_.timeout_us < 0)
    throw std::invalid_argument("batching: max_batch_size and max_enqueued must be positive, timeout_us >= 0");
  worker_ = std::thread([this] { work(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

Prediction Batcher::predict(std::shared_ptr<const Servable> servable, Tensor x) {
  auto r = std::make_unique<Request>();
  r->servable = std::move(servable);
  r->x = std::move(x);
  std::future<Prediction> result = r->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t rows = r->x.dim(0);
    if (queued_rows_ > 0 && queued_rows_ + rows > o_.max_enqueued)
      throw RequestError(503, fmt::format("the server is overloaded ({} instances are waiting); retry in a moment", queued_rows_));
    queued_rows_ += rows;
    queue_.push_back(std::move(r));
  }
  cv_.notify_one();
  return result.get();
}

void Batcher::work() {
  using Clock = std::chrono::steady_clock;
  StreamGuard stream(backend_for(o_.device).new_stream());
  for (;;) {
    std::vector<std::unique_ptr<Request>> batch;
    int64_t rows = 0, left = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      const auto deadline = Clock::now() + std::chrono::microseconds(o_.enabled ? o_.timeout_us : 0);
      for (;;) {
        while (!queue_.empty() &&
               (batch.empty() || (o_.enabled && rows + queue_.front()->x.dim(0) <= o_.max_batch_size &&
                                  queue_.front()->servable == batch.front()->servable))) {
          rows += queue_.front()->x.dim(0);
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        if (!o_.enabled || rows >= o_.max_batch_size || !queue_.empty() || stop_) break;
        if (cv_.wait_until(lock, deadline, [&] { return stop_ || !queue_.empty(); })) continue;
        break;  // the deadline passed
      }
      queued_rows_ -= rows;
      left = queued_rows_;
    }
    if (on_batch_) on_batch_(rows, left);
    run(batch);
  }
}

void Batcher::run(std::vector<std::unique_ptr<Request>>& batch) {
  try {
    const Servable& s = *batch.front()->servable;  // every request of the batch asked for it
    int64_t rows = 0;
    for (const auto& r : batch) rows += r->x.dim(0);
    Tensor x = batch.front()->x;  // one request: its own input, uncopied
    if (batch.size() > 1) {
      Shape shape{rows};
      shape.insert(shape.end(), s.input_shape.begin(), s.input_shape.end());
      x = Tensor(shape);
      const int64_t per = numel(s.input_shape);
      int64_t at = 0;
      for (const auto& r : batch) {
        std::memcpy(x.data() + at * per, r->x.data(), static_cast<size_t>(r->x.numel()) * sizeof(float));
        at += r->x.dim(0);
      }
    }
    // Inputs to the device, probabilities back (the softmax on the device): one copy each way.
    const Tensor out = predict_probabilities(*s.model, x, rows);
    if (batch.size() == 1) {
      batch.front()->done.set_value(Prediction{out, s.version});
      return;
    }
    int64_t at = 0;
    for (auto& r : batch) {
      const int64_t n = r->x.dim(0);
      r->done.set_value(Prediction{out.slice(at, at + n).clone(), s.version});
      at += n;
    }
  } catch (...) {
    for (auto& r : batch) {
      try {
        r->done.set_exception(std::current_exception());
      } catch (const std::future_error&) {  // already fulfilled before the failure
      }
    }
  }
}

}  // namespace nn::serving::detail
