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

int64_t count_correct(const Tensor& y_pred, const Tensor& y_true) {
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
  return static_cast<int64_t>(out.item());
}

void Accuracy::update(const Tensor& y_pred, const Tensor& y_true) {
  correct_ += static_cast<double>(count_correct(y_pred, y_true));
  count_ += static_cast<double>(y_pred.dim(0));
}

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
  const std::vector<float> p = y_pred.to_vector(), t = y_true.to_vector();
  double s = 0.0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double e = static_cast<double>(p[i]) - t[i];
    s += squared_ ? e * e : std::fabs(e);
  }
  sum_ += s;
  count_ += static_cast<double>(p.size());
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
