#pragma once
// Stops training when `monitor` has not improved for `patience` epochs (Keras's EarlyStopping),
// optionally restoring the weights of the best epoch. An epoch counts as an improvement when
// it beats the best so far by min_delta; with a baseline, training also stops if the monitor
// never beats the baseline within patience epochs.
#include <optional>
#include <string>
#include <vector>

#include "nn/arg.hpp"
#include "nn/model/callback.hpp"
#include "nn/model/callbacks/monitor.hpp"
#include "nn/tensor.hpp"

namespace nn {

//   nn::EarlyStopping(nn::EarlyStoppingOptions().patience(3).restore_best_weights(true))
class EarlyStoppingOptions {
  NN_ARG(std::string, monitor) = "val_loss";
  NN_ARG(double, min_delta) = 0.0;
  NN_ARG(int, patience) = 0;
  NN_ARG(int, verbose) = 0;
  NN_ARG(std::string, mode) = "auto";
  NN_ARG(std::optional<double>, baseline);
  NN_ARG(bool, restore_best_weights) = false;
  NN_ARG(int, start_from_epoch) = 0;
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  bool wants_batch_logs(int64_t) const override { return false; }
  void on_train_end(const Logs& logs) override;

  int stopped_epoch() const { return stopped_epoch_; }  // 0 when training was not stopped
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }

 private:
  EarlyStoppingOptions o_;
  Monitor monitor_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  double best_ = 0.0;
  std::vector<Tensor> best_weights_;
};

}  // namespace nn
