#include "nn/model/callbacks/tensorboard.hpp"

#include <stdexcept>

#include "nn/io/event_writer.hpp"
#include "nn/model/sequential.hpp"

namespace nn {

TensorBoard::TensorBoard(TensorBoardOptions o) : log_dir_(o.log_dir()), update_freq_(o.update_freq()) {
  if (log_dir_.empty()) throw std::invalid_argument("TensorBoard: empty log_dir");
  if (update_freq_ < 0) throw std::invalid_argument("TensorBoard: update_freq must be >= 0");
}

TensorBoard::~TensorBoard() = default;

void TensorBoard::on_train_begin(const Logs&) {
  if (!train_) train_ = std::make_unique<io::EventWriter>(log_dir_ + "/train");
}

void TensorBoard::on_train_batch_end(int64_t, const Logs& logs) {
  ++global_step_;
  if (update_freq_ <= 0 || global_step_ % update_freq_ != 0) return;
  for (const auto& [k, v] : logs) train_->add_scalar("batch_" + k, v, global_step_);
}

void TensorBoard::on_epoch_end(int epoch, Logs& logs) {
  for (const auto& [k, v] : logs) {
    if (k.rfind("val_", 0) == 0) {
      if (!validation_) validation_ = std::make_unique<io::EventWriter>(log_dir_ + "/validation");
      validation_->add_scalar("epoch_" + k.substr(4), v, epoch);
    } else {
      train_->add_scalar("epoch_" + k, v, epoch);
    }
  }
  train_->flush();
  if (validation_) validation_->flush();
}

void TensorBoard::on_train_end(const Logs&) {
  if (train_) train_->flush();
  if (validation_) validation_->flush();
}

std::string TensorBoard::train_file() const { return train_ ? train_->path() : std::string(); }
std::string TensorBoard::validation_file() const { return validation_ ? validation_->path() : std::string(); }

}  // namespace nn
