#include "nn/model/callbacks/simple.hpp"

#include <cmath>

#include <fmt/format.h>

#include "nn/model/sequential.hpp"

namespace nn {

void TerminateOnNaN::on_epoch_begin(int epoch, const Logs&) { epoch_ = epoch; }

void TerminateOnNaN::on_train_batch_end(int64_t batch, const Logs& logs) {
  const auto loss = find_log(logs, "loss");
  if (loss && !std::isfinite(*loss)) {
    terminated_ = true;
    batch_ = batch;
    fmt::print("\nBatch {}: Invalid loss, terminating training\n", batch);
    model().set_stop_training(true);
  }
}

void LearningRateScheduler::on_epoch_begin(int epoch, const Logs&) {
  Optimizer& opt = model().optimizer();
  const double lr = o_.schedule()(epoch, opt.learning_rate());
  opt.set_learning_rate(static_cast<float>(lr));
  if (o_.verbose() > 0) fmt::print("\nEpoch {}: LearningRateScheduler setting learning rate to {}.\n", epoch + 1, lr);
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) { logs["learning_rate"] = model().optimizer().learning_rate(); }

}  // namespace nn
