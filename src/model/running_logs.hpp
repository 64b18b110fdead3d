#pragma once
// fit's and evaluate's running loss and metrics, kept on the model's device.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nn/backend/backend.hpp"
#include "nn/metrics.hpp"
#include "nn/model/logs.hpp"

namespace nn::detail {

// The loss and metrics of the batches seen so far. The sums stay on the model's device: adding a
// batch queues work and reads nothing; logs() reads them (a synchronization), which fit does only
// when a callback, the progress bar or the epoch's end needs them.
//
// A model of one output logs "loss" and each metric by its name ("accuracy"). One of several
// outputs logs, as Keras does, the total "loss" (the weighted sum it trains), each output's own
// "<output>_loss" and each metric per output, "<output>_accuracy".
class RunningLogs {
 public:
  // output_names: the model's outputs (the layers computing them).
  RunningLogs(Device device, const std::vector<std::string>& metric_names, std::vector<std::string> output_names)
      : loss_sum_(Tensor::zeros({}, device)), outputs_(std::move(output_names)) {
    const size_t heads = outputs_.size() > 1 ? outputs_.size() : 1;
    metrics_.resize(heads);
    for (auto& per_output : metrics_)
      for (const auto& n : metric_names) per_output.push_back(make_metric(n));
    if (outputs_.size() > 1)
      for (size_t k = 0; k < outputs_.size(); ++k) output_loss_sums_.push_back(Tensor::zeros({}, device));
  }
  // loss: the batch's mean (total) loss, a float32 scalar on the device, over n samples; parts:
  // each output's mean loss (ignored for one output); y_pred, y_true: one per output.
  void add(const Tensor& loss, const std::vector<Tensor>& parts, int64_t n, const std::vector<Tensor>& y_pred,
           const std::vector<Tensor>& y_true) {
    Backend& be = backend_for(loss_sum_.device());
    be.axpy(1, static_cast<float>(n), loss.data_ptr(), loss_sum_.data_ptr());
    for (size_t k = 0; k < output_loss_sums_.size(); ++k)
      be.axpy(1, static_cast<float>(n), parts[k].data_ptr(), output_loss_sums_[k].data_ptr());
    seen_ += n;
    for (size_t k = 0; k < metrics_.size(); ++k)
      for (auto& m : metrics_[k]) m->update(y_pred[k], y_true[k]);
  }
  int64_t seen() const { return seen_; }
  // The sums behind logs() (loss, samples, each output's loss, each metric's totals), for a
  // data-parallel job to add over its ranks, and their replacement by such sums.
  std::vector<double> totals() const {
    std::vector<double> t{static_cast<double>(loss_sum_.item()), static_cast<double>(seen_)};
    for (const Tensor& s : output_loss_sums_) t.push_back(static_cast<double>(s.item()));
    for (const auto& per_output : metrics_)
      for (const auto& m : per_output) {
        const std::vector<double> mt = m->totals();
        t.insert(t.end(), mt.begin(), mt.end());
      }
    return t;
  }
  void set_totals(const std::vector<double>& t) {
    size_t at = 0;
    const auto scalar = [&](Tensor& sum) { sum = Tensor::full({}, static_cast<float>(t.at(at++)), sum.device()); };
    scalar(loss_sum_);
    seen_ = static_cast<int64_t>(t.at(at++));
    for (Tensor& s : output_loss_sums_) scalar(s);
    for (auto& per_output : metrics_)
      for (auto& m : per_output) {
        const size_t k = m->totals().size();
        if (at + k > t.size()) throw std::invalid_argument("RunningLogs: too few totals");
        m->set_totals(std::vector<double>(t.begin() + static_cast<std::ptrdiff_t>(at),
                                          t.begin() + static_cast<std::ptrdiff_t>(at + k)));
        at += k;
      }
  }
  Logs logs() const {
    const auto mean = [&](const Tensor& sum) {
      return seen_ ? static_cast<double>(sum.item()) / static_cast<double>(seen_) : 0.0;
    };
    Logs logs{{"loss", mean(loss_sum_)}};
    for (size_t k = 0; k < output_loss_sums_.size(); ++k) logs[outputs_[k] + "_loss"] = mean(output_loss_sums_[k]);
    const bool several = outputs_.size() > 1;
    for (size_t k = 0; k < metrics_.size(); ++k)
      for (const auto& m : metrics_[k]) logs[several ? outputs_[k] + "_" + m->name() : m->name()] = m->result();
    return logs;
  }

 private:
  Tensor loss_sum_;
  std::vector<std::string> outputs_;
  std::vector<Tensor> output_loss_sums_;     // one per output when there are several
  int64_t seen_ = 0;
  std::vector<std::vector<MetricPtr>> metrics_;  // per output (one list for one output)
};

}  // namespace nn::detail
