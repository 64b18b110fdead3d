#pragma once
// Multiplies the learning rate by `factor` when `monitor` has not improved for `patience`
// epochs, then waits `cooldown` epochs before counting again; never below min_lr
// (Keras's ReduceLROnPlateau). Adds "learning_rate" to the epoch logs.
#include <string>

#include "nn/model/callback.hpp"
#include "nn/model/callbacks/monitor.hpp"

namespace nn {

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
};

class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  ReduceLROnPlateauOptions o_;
  Monitor monitor_;
  int wait_ = 0, cooldown_counter_ = 0;
  double best_ = 0.0;
};

}  // namespace nn
