#pragma once
// Saves the model (or only its weights) after each epoch (Keras's ModelCheckpoint). The path
// may hold placeholders: {epoch} (1-based) and any log key, with a format spec, e.g.
// "ckpt/model-{epoch:02d}-{val_loss:.4f}.nn". With save_best_only it saves only when `monitor`
// improved on the best value seen so far.
#include <optional>
#include <string>

#include "nn/arg.hpp"
#include "nn/model/callback.hpp"
#include "nn/model/callbacks/monitor.hpp"

namespace nn {

//   nn::ModelCheckpoint("best.nn", nn::ModelCheckpointOptions().monitor("val_accuracy").save_best_only(true))
class ModelCheckpointOptions {
  NN_ARG(std::string, monitor) = "val_loss";
  NN_ARG(int, verbose) = 0;
  NN_ARG(bool, save_best_only) = false;
  NN_ARG(bool, save_weights_only) = false;
  NN_ARG(std::string, mode) = "auto";  // auto, min or max
  NN_ARG(std::optional<double>, initial_value_threshold);
};

class ModelCheckpoint : public Callback {
 public:
  bool writes() const override { return true; }
  explicit ModelCheckpoint(std::string filepath, ModelCheckpointOptions options = {});
  void on_epoch_end(int epoch, Logs& logs) override;
  bool wants_batch_logs(int64_t) const override { return false; }

  double best() const { return best_; }
  const std::string& last_saved() const { return last_saved_; }

 private:
  std::string filepath_;
  ModelCheckpointOptions o_;
  Monitor monitor_;
  double best_;
  std::string last_saved_;
};

// Fills a checkpoint path's placeholders; throws std::invalid_argument for an unknown key.
std::string format_checkpoint_path(const std::string& pattern, int epoch, const Logs& logs);

}  // namespace nn
