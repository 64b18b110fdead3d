#include "nn/metrics.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {

int64_t count_correct(const Tensor& y_pred, const Tensor& y_true) {
  if (y_pred.ndim() != 2)
    throw std::invalid_argument("accuracy: predictions must be (N, C), got " + to_string(y_pred.shape()));
  const int64_t rows = y_pred.dim(0), cols = y_pred.dim(1);
  const bool sparse = y_true.shape() == Shape{rows};
  if (!sparse && y_true.shape() != y_pred.shape())
    throw std::invalid_argument("accuracy: targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  Tensor out = Tensor::empty({}, y_pred.device());
  backend_for(y_pred.device()).count_correct(y_pred.data(), y_true.data(), sparse, out.data(), rows, cols);
  return static_cast<int64_t>(out.item());
}

void Accuracy::update(const Tensor& y_pred, const Tensor& y_true) {
  correct_ += static_cast<double>(count_correct(y_pred, y_true));
  count_ += static_cast<double>(y_pred.dim(0));
}

MetricPtr make_metric(const std::string& name) {
  if (name == "accuracy" || name == "acc" || name == "sparse_categorical_accuracy" ||
      name == "categorical_accuracy")
    return std::make_shared<Accuracy>(name == "acc" ? "accuracy" : name);
  throw std::invalid_argument("unknown metric '" + name + "' (expected accuracy)");
}

}  // namespace nn
