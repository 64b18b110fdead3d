#pragma once
// Small callbacks: TerminateOnNaN, LearningRateScheduler, LambdaCallback.
#include <functional>

#include "nn/arg.hpp"
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
class LearningRateSchedulerOptions {
 public:
  using Schedule = std::function<double(int epoch, double lr)>;
  LearningRateSchedulerOptions(Schedule schedule) : schedule_(std::move(schedule)) {}  // NOLINT
  NN_ARG(Schedule, schedule);
  NN_ARG(int, verbose) = 0;  // 1: print each change
};

class LearningRateScheduler : public Callback {
 public:
  using Schedule = LearningRateSchedulerOptions::Schedule;
  explicit LearningRateScheduler(LearningRateSchedulerOptions options) : o_(std::move(options)) {}
  explicit LearningRateScheduler(Schedule schedule) : o_(std::move(schedule)) {}
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  bool wants_batch_logs(int64_t) const override { return false; }

 private:
  LearningRateSchedulerOptions o_;
};

// Any hook as a function (Keras's LambdaCallback); unset hooks do nothing.
//   nn::LambdaCallback(nn::LambdaCallbackOptions().on_epoch_end([](int epoch, nn::Logs& logs) { ... }))
class LambdaCallbackOptions {
 public:
  NN_ARG(std::function<void(const Logs&)>, on_train_begin);
  NN_ARG(std::function<void(const Logs&)>, on_train_end);
  NN_ARG(std::function<void(int, const Logs&)>, on_epoch_begin);
  NN_ARG(std::function<void(int, Logs&)>, on_epoch_end);
  NN_ARG(std::function<void(int64_t, const Logs&)>, on_batch_begin);
  NN_ARG(std::function<void(int64_t, const Logs&)>, on_batch_end);
};

class LambdaCallback : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackOptions options = {}) : o_(std::move(options)) {}
  void on_train_begin(const Logs& l) override {
    if (o_.on_train_begin()) o_.on_train_begin()(l);
  }
  void on_train_end(const Logs& l) override {
    if (o_.on_train_end()) o_.on_train_end()(l);
  }
  void on_epoch_begin(int e, const Logs& l) override {
    if (o_.on_epoch_begin()) o_.on_epoch_begin()(e, l);
  }
  void on_epoch_end(int e, Logs& l) override {
    if (o_.on_epoch_end()) o_.on_epoch_end()(e, l);
  }
  void on_train_batch_begin(int64_t b, const Logs& l) override {
    if (o_.on_batch_begin()) o_.on_batch_begin()(b, l);
  }
  void on_train_batch_end(int64_t b, const Logs& l) override {
    if (o_.on_batch_end()) o_.on_batch_end()(b, l);
  }
  bool wants_batch_logs(int64_t) const override { return static_cast<bool>(o_.on_batch_end()); }

 private:
  LambdaCallbackOptions o_;
};

}  // namespace nn
