#include "nn/metrics.hpp"

#include "nn/registry.hpp"

#include "backend/fallback.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nn/tensor_ops.hpp"

#include "nn/backend/backend.hpp"
#include "ops/labels.hpp"

namespace nn {

namespace {
// total += rows of y_pred whose true class is among its k highest scores (what: the metric's name).
void count_in_top_k(const Tensor& y_pred, const Tensor& y_true, Tensor& total, int64_t k, const std::string& what) {
  if (y_pred.ndim() != 2)
    throw std::invalid_argument(what + ": predictions must be (N, C), got " + to_string(y_pred.shape()));
  const int64_t rows = y_pred.dim(0), cols = y_pred.dim(1);
  const bool sparse = y_true.shape() == Shape{rows};
  if (!sparse && y_true.shape() != y_pred.shape())
    throw std::invalid_argument(what + ": targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  if (total.shape() != Shape{} || total.dtype() != kInt64)
    throw std::invalid_argument(what + ": the running count must be an int64 scalar, got " + to_string(total.dtype()) +
                                " " + to_string(total.shape()));
  check_same_device(what, {&y_pred, &y_true, &total});
  const Tensor scores = y_pred.to(kFloat32);
  const Tensor truth = sparse ? detail::class_labels(y_true, cols, what) : y_true.to(kFloat32);
  detail::run_kernel(Kernel::CountCorrect, {&scores, &truth}, {&total}, [&](Backend& be, const auto& in, const auto& o) {
    be.count_correct(detail::as<float>(in[0]), sparse ? nullptr : detail::as<float>(in[1]),
                     sparse ? detail::as<int64_t>(in[1]) : nullptr, detail::as<int64_t>(o[0]), rows, cols,
                     std::min(k, cols));
  });
}

Tensor int64_counter(Device device) { return Tensor::zeros({}, TensorOptions().dtype(kInt64).device(device)); }
}  // namespace

int64_t count_correct(const Tensor& y_pred, const Tensor& y_true) {
  Tensor total = int64_counter(y_pred.device());
  count_in_top_k(y_pred, y_true, total, 1, "accuracy");
  return total.to_vector<int64_t>()[0];
}

double TopKAccuracy::result() const {
  return count_ > 0.0 ? static_cast<double>(correct_.to_vector<int64_t>()[0]) / count_ : 0.0;
}

double MeanError::result() const { return count_ > 0.0 && sum_.defined() ? sum_.item() / count_ : 0.0; }

void TopKAccuracy::update(const Tensor& y_pred, const Tensor& y_true) {
  if (!correct_.defined()) correct_ = int64_counter(y_pred.device());
  count_in_top_k(y_pred, y_true, correct_, k_, name_);
  count_ += static_cast<double>(y_pred.dim(0));
}

void MeanError::update(const Tensor& y_pred, const Tensor& y_true) {
  if (y_true.shape() != y_pred.shape())
    throw std::invalid_argument(name_ + ": targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  check_same_device(name_, y_pred, y_true);
  const Tensor p = y_pred.to(kFloat32), t = y_true.to(kFloat32);
  Backend& be = backend_for(p.device());
  Tensor e(p.shape(), p.device()), s = Tensor::empty({}, p.device());
  be.binary(BinaryOp::Sub, p.data_ptr(), p.shape(), t.data_ptr(), t.shape(), e.data_ptr(), e.shape());
  be.unary(squared_ ? UnaryOp::Square : UnaryOp::Abs, 0.0f, e.data_ptr(), e.data_ptr(), e.numel());
  be.sum(e.data_ptr(), s.data_ptr(), e.numel());
  if (!sum_.defined()) sum_ = Tensor::zeros({}, p.device());
  check_same_device(name_, sum_, s);
  be.axpy(1, 1.0f, s.data_ptr(), sum_.data_ptr());
  count_ += static_cast<double>(p.numel());
}

namespace {
[[noreturn]] void no_totals(const Metric& m) {
  throw std::logic_error("metric '" + m.name() + "' has no totals, so it cannot be reduced over the ranks of a "
                         "data-parallel job");
}
}  // namespace

std::vector<double> Metric::totals() const { no_totals(*this); }
void Metric::set_totals(const std::vector<double>&) { no_totals(*this); }

namespace {
void check_totals(const std::vector<double>& totals, const std::string& name) {
  if (totals.size() != 2)
    throw std::invalid_argument(name + ": set_totals takes 2 sums, got " + std::to_string(totals.size()));
}
}  // namespace

std::vector<double> TopKAccuracy::totals() const {
  return {correct_.defined() ? static_cast<double>(correct_.to_vector<int64_t>()[0]) : 0.0, count_};
}

void TopKAccuracy::set_totals(const std::vector<double>& totals) {
  check_totals(totals, name_);
  const Device device = correct_.defined() ? correct_.device() : Device::cpu();
  correct_ = Tensor::full({}, totals[0], TensorOptions().dtype(kInt64).device(device));
  count_ = totals[1];
}

std::vector<double> MeanError::totals() const { return {sum_.defined() ? sum_.item() : 0.0, count_}; }

void MeanError::set_totals(const std::vector<double>& totals) {
  check_totals(totals, name_);
  sum_ = Tensor::full({}, static_cast<float>(totals[0]), sum_.defined() ? sum_.device() : Device::cpu());
  count_ = totals[1];
}

namespace {
Registry<MetricFactory>& metrics() {
  static Registry<MetricFactory>* r = [] {
    auto* reg = new Registry<MetricFactory>("metric", "nn::register_metric");
    reg->add("accuracy", [](const std::string&) -> MetricPtr { return std::make_shared<Accuracy>("accuracy"); }, {"acc"});
    for (const char* name : {"sparse_categorical_accuracy", "categorical_accuracy"})
      reg->add(name, [](const std::string& n) -> MetricPtr { return std::make_shared<Accuracy>(n); });
    for (const char* name : {"top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"})
      reg->add(name, [](const std::string& n) -> MetricPtr { return std::make_shared<TopKAccuracy>(5, n); });
    reg->add("mean_squared_error", [](const std::string& n) -> MetricPtr { return std::make_shared<MeanError>(true, n); },
             {"mse"});
    reg->add("mean_absolute_error",
             [](const std::string& n) -> MetricPtr { return std::make_shared<MeanError>(false, n); }, {"mae"});
    return reg;
  }();
  return *r;
}
}  // namespace

MetricPtr make_metric(const std::string& name) { return metrics().get(name)(name); }

void register_metric(const std::string& name, MetricFactory factory) { metrics().add(name, std::move(factory)); }

}  // namespace nn
