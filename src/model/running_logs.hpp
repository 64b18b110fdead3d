#pragma once
// fit's and evaluate's running loss and metrics, kept on the model's device.
#include <string>
#include <vector>

#include "nn/backend/backend.hpp"
#include "nn/metrics.hpp"
#include "nn/model/logs.hpp"

namespace nn::detail {

// The loss and metrics of the batches seen so far. The sums stay on the model's device: adding a
// batch queues work and reads nothing; logs() reads them (a synchronization), which fit does only
// when a callback, the progress bar or the epoch's end needs them.
class RunningLogs {
 public:
  RunningLogs(Device device, const std::vector<std::string>& metric_names)
      : loss_sum_(Tensor::zeros({}, device)) {
    for (const auto& n : metric_names) metrics_.push_back(make_metric(n));
  }
  // loss: the batch's mean loss (a float32 scalar on the device) over n samples.
  void add(const Tensor& loss, int64_t n, const Tensor& y_pred, const Tensor& y_true) {
    backend_for(loss_sum_.device()).axpy(1, static_cast<float>(n), loss.data_ptr(), loss_sum_.data_ptr());
    seen_ += n;
    for (auto& m : metrics_) m->update(y_pred, y_true);
  }
  int64_t seen() const { return seen_; }
  Logs logs() const {
    Logs logs{{"loss", seen_ ? static_cast<double>(loss_sum_.item()) / static_cast<double>(seen_) : 0.0}};
    for (const auto& m : metrics_) logs[m->name()] = m->result();
    return logs;
  }

 private:
  Tensor loss_sum_;
  int64_t seen_ = 0;
  std::vector<MetricPtr> metrics_;
};

}  // namespace nn::detail
