#pragma once
// Multiplies the learning rate by `factor` when `monitor` has not improved for `patience`
// epochs, then waits `cooldown` epochs before counting again; never below min_lr
// (Keras's ReduceLROnPlateau). Adds "learning_rate" to the epoch logs.
#include <string>

#include "nn/arg.hpp"
#include "nn/model/callback.hpp"
#include "nn/model/callbacks/monitor.hpp"

namespace nn {

//   nn::ReduceLROnPlateau(nn::ReduceLROnPlateauOptions().factor(0.5).patience(2))
class ReduceLROnPlateauOptions {
  NN_ARG(std::string, monitor) = "val_loss";
  NN_ARG(double, factor) = 0.1;
  NN_ARG(int, patience) = 10;
  NN_ARG(int, verbose) = 0;
  NN_ARG(std::string, mode) = "auto";
  NN_ARG(double, min_delta) = 1e-4;
  NN_ARG(int, cooldown) = 0;
  NN_ARG(double, min_lr) = 0.0;
};

class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  bool wants_batch_logs(int64_t) const override { return false; }

 private:
  ReduceLROnPlateauOptions o_;
  Monitor monitor_;
  int wait_ = 0, cooldown_counter_ = 0;
  double best_ = 0.0;
};

}  // namespace nn
