#include "nn/model/callbacks/reduce_lr_on_plateau.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/model/sequential.hpp"

namespace nn {

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : o_(std::move(options)), monitor_(o_.monitor(), o_.mode(), o_.min_delta()) {
  if (!(o_.factor() < 1.0 && o_.factor() >= 0.0))
    throw std::invalid_argument("ReduceLROnPlateau: factor must be in [0, 1), got " + std::to_string(o_.factor()));
}

void ReduceLROnPlateau::on_train_begin(const Logs&) {
  wait_ = 0;
  cooldown_counter_ = 0;
  best_ = monitor_.worst();
}

void ReduceLROnPlateau::on_epoch_end(int epoch, Logs& logs) {
  Optimizer& opt = model().optimizer();
  logs["learning_rate"] = opt.learning_rate();
  const auto current = find_log(logs, monitor_.key());
  if (!current) {
    fmt::print(stderr, "ReduceLROnPlateau: monitor '{}' is not in the logs; skipping\n", monitor_.key());
    return;
  }
  const bool in_cooldown = cooldown_counter_ > 0;
  if (in_cooldown) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (monitor_.improved(*current, best_)) {
    best_ = *current;
    wait_ = 0;
  } else if (!in_cooldown) {
    if (++wait_ >= o_.patience()) {
      const double old_lr = opt.learning_rate();
      if (old_lr > o_.min_lr()) {
        const double new_lr = std::max(old_lr * o_.factor(), o_.min_lr());
        opt.set_learning_rate(static_cast<float>(new_lr));
        if (o_.verbose() > 0)
          fmt::print("\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.\n", epoch + 1, static_cast<float>(new_lr));
        cooldown_counter_ = o_.cooldown();
        wait_ = 0;
      }
    }
  }
}

}  // namespace nn
