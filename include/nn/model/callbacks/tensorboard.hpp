#pragma once
// Writes TensorBoard event files (Keras's TensorBoard callback): per epoch "epoch_loss",
// "epoch_<metric>" and "epoch_learning_rate" in log_dir/train, the validation values in
// log_dir/validation; with update_freq = N > 0 also "batch_loss" / "batch_<metric>" every N
// training steps (step = global batch count).
#include <memory>
#include <string>

#include "nn/arg.hpp"
#include "nn/model/callback.hpp"

namespace nn {
namespace io {
class EventWriter;
}

//   nn::TensorBoard("logs")   nn::TensorBoard(nn::TensorBoardOptions("logs").update_freq(100))
class TensorBoardOptions {
 public:
  TensorBoardOptions(std::string log_dir = "logs") : log_dir_(std::move(log_dir)) {}  // NOLINT
  NN_ARG(std::string, log_dir);
  NN_ARG(int64_t, update_freq) = 0;  // 0: per epoch only; N: also every N training steps
};

class TensorBoard : public Callback {
 public:
  bool writes() const override { return true; }
  explicit TensorBoard(TensorBoardOptions options = {});
  explicit TensorBoard(std::string log_dir, int64_t update_freq = 0)
      : TensorBoard(TensorBoardOptions(std::move(log_dir)).update_freq(update_freq)) {}
  ~TensorBoard() override;
  void on_train_begin(const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  bool wants_batch_logs(int64_t) const override { return update_freq_ > 0 && (global_step_ + 1) % update_freq_ == 0; }
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;

  std::string train_file() const;       // the event file written under log_dir/train
  std::string validation_file() const;  // empty until a validation value is written

 private:
  std::string log_dir_;
  int64_t update_freq_;
  int64_t global_step_ = 0;
  std::unique_ptr<io::EventWriter> train_, validation_;
};

}  // namespace nn
