#include "nn/model/callbacks/early_stopping.hpp"

#include <fmt/format.h>

#include "nn/model/sequential.hpp"

namespace nn {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : o_(std::move(options)), monitor_(o_.monitor(), o_.mode(), o_.min_delta()) {}

void EarlyStopping::on_train_begin(const Logs&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_epoch_ = 0;
  best_ = monitor_.worst();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  const auto current = find_log(logs, monitor_.key());
  if (!current) {
    fmt::print(stderr, "EarlyStopping: monitor '{}' is not in the logs; skipping\n", monitor_.key());
    return;
  }
  if (epoch < o_.start_from_epoch()) return;
  if (o_.restore_best_weights() && best_weights_.empty()) best_weights_ = model().get_weights();
  ++wait_;
  if (monitor_.improved(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (o_.restore_best_weights()) best_weights_ = model().get_weights();
    if (!o_.baseline() || monitor_.improved(*current, *o_.baseline())) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience() && epoch > 0) {
    stopped_epoch_ = epoch;
    model().set_stop_training(true);
  }
}

void EarlyStopping::on_train_end(const Logs&) {
  if (stopped_epoch_ > 0 && o_.verbose() > 0) fmt::print("Epoch {}: early stopping\n", stopped_epoch_ + 1);
  if (stopped_epoch_ > 0 && o_.restore_best_weights() && !best_weights_.empty()) {
    if (o_.verbose() > 0) fmt::print("Restoring model weights from the end of the best epoch: {}.\n", best_epoch_ + 1);
    model().set_weights(best_weights_);
  }
}

}  // namespace nn
