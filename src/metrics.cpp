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

Tensor count_correct_tensor(const Tensor& y_pred, const Tensor& y_true) {
  if (y_pred.ndim() != 2)
    throw std::invalid_argument("accuracy: predictions must be (N, C), got " + to_string(y_pred.shape()));
  const int64_t rows = y_pred.dim(0), cols = y_pred.dim(1);
  const bool sparse = y_true.shape() == Shape{rows};
  if (!sparse && y_true.shape() != y_pred.shape())
    throw std::invalid_argument("accuracy: targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  const Tensor truth = sparse ? detail::class_labels(y_true, cols, "accuracy") : y_true.to(kFloat32);
  Tensor out = Tensor::empty({}, y_pred.device());
  detail::run_kernel(Kernel::CountCorrect, {&y_pred, &truth}, {&out}, [&](Backend& be, const auto& in, const auto& o) {
    be.count_correct(detail::as<float>(in[0]), sparse ? nullptr : detail::as<float>(in[1]),
                     sparse ? detail::as<int64_t>(in[1]) : nullptr, detail::as<float>(o[0]), rows, cols);
  });
  return out;
}

int64_t count_correct(const Tensor& y_pred, const Tensor& y_true) {
  return static_cast<int64_t>(count_correct_tensor(y_pred, y_true).item());
}

namespace {
// sum += x, both float32 scalars on one device; sum starts as x.
void accumulate(Tensor& sum, const Tensor& x) {
  if (!sum.defined()) {
    sum = x.clone();
  } else {
    check_same_device("metric update", sum, x);
    backend_for(sum.device()).axpy(1, 1.0f, x.data_ptr(), sum.data_ptr());
  }
}
double read(const Tensor& sum, double count) { return count > 0.0 && sum.defined() ? sum.item() / count : 0.0; }
}  // namespace

void Accuracy::update(const Tensor& y_pred, const Tensor& y_true) {
  accumulate(correct_, count_correct_tensor(y_pred, y_true));
  count_ += static_cast<double>(y_pred.dim(0));
}

double Accuracy::result() const { return read(correct_, count_); }
double MeanError::result() const { return read(sum_, count_); }

void TopKAccuracy::update(const Tensor& y_pred, const Tensor& y_true) {
  if (y_pred.ndim() != 2)
    throw std::invalid_argument(name_ + ": predictions must be (N, C), got " + to_string(y_pred.shape()));
  const int64_t rows = y_pred.dim(0), cols = y_pred.dim(1);
  const bool sparse = y_true.shape() == Shape{rows};
  if (!sparse && y_true.shape() != y_pred.shape())
    throw std::invalid_argument(name_ + ": targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  const int64_t k = std::min(k_, cols);
  const std::vector<int64_t> top = top_k(y_pred, k).indices.to_vector<int64_t>();
  const std::vector<int64_t> truth =
      (sparse ? detail::class_labels(y_true, cols, name_) : argmax(y_true)).to_vector<int64_t>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < k; ++j)
      if (top[static_cast<size_t>(r * k + j)] == truth[static_cast<size_t>(r)]) {
        correct_ += 1.0;
        break;
      }
  count_ += static_cast<double>(rows);
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
  accumulate(sum_, s);
  count_ += static_cast<double>(p.numel());
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
