#pragma once
// Small callbacks: TerminateOnNaN, LearningRateScheduler, LambdaCallback.
#include <functional>

#include "nn/model/callback.hpp"

namespace nn {

// Stops training at the first batch whose loss is NaN or infinite.
class TerminateOnNaN : public Callback {
 public:
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  // Whether it stopped training, and where (0-based epoch and batch).
  bool terminated() const { return terminated_; }
  int epoch() const { return epoch_; }
  int64_t batch() const { return batch_; }

 private:
  bool terminated_ = false;
  int epoch_ = 0;
  int64_t batch_ = 0;
};

// Sets the learning rate at the start of each epoch to schedule(epoch, current_lr).
class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int epoch, double lr)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0)
      : schedule_(std::move(schedule)), verbose_(verbose) {}
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
};

// Any hook as a function (Keras's LambdaCallback); unset hooks do nothing.
class LambdaCallback : public Callback {
 public:
  std::function<void(const Logs&)> on_train_begin_fn, on_train_end_fn;
  std::function<void(int, const Logs&)> on_epoch_begin_fn;
  std::function<void(int, Logs&)> on_epoch_end_fn;
  std::function<void(int64_t, const Logs&)> on_batch_begin_fn, on_batch_end_fn;

  void on_train_begin(const Logs& l) override {
    if (on_train_begin_fn) on_train_begin_fn(l);
  }
  void on_train_end(const Logs& l) override {
    if (on_train_end_fn) on_train_end_fn(l);
  }
  void on_epoch_begin(int e, const Logs& l) override {
    if (on_epoch_begin_fn) on_epoch_begin_fn(e, l);
  }
  void on_epoch_end(int e, Logs& l) override {
    if (on_epoch_end_fn) on_epoch_end_fn(e, l);
  }
  void on_train_batch_begin(int64_t b, const Logs& l) override {
    if (on_batch_begin_fn) on_batch_begin_fn(b, l);
  }
  void on_train_batch_end(int64_t b, const Logs& l) override {
    if (on_batch_end_fn) on_batch_end_fn(b, l);
  }
};

}  // namespace nn
