#pragma once
// Metrics: streaming (update per batch, result over all batches since reset), as in Keras.
#include <memory>
#include <string>

#include "nn/tensor.hpp"

namespace nn {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;
  virtual void update(const Tensor& y_pred, const Tensor& y_true) = 0;
  virtual double result() const = 0;
  virtual void reset() = 0;
};

using MetricPtr = std::shared_ptr<Metric>;

// Fraction of rows whose argmax matches: labels (N) for sparse, one-hot/distribution (N, C)
// otherwise. "accuracy" picks by the shape of y_true.
class Accuracy : public Metric {
 public:
  explicit Accuracy(std::string name = "accuracy") : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void update(const Tensor& y_pred, const Tensor& y_true) override;
  double result() const override { return count_ ? correct_ / count_ : 0.0; }
  void reset() override { correct_ = count_ = 0.0; }

 private:
  std::string name_;
  double correct_ = 0.0, count_ = 0.0;
};

// Number of rows of y_pred (N, C) whose argmax matches y_true (labels (N) or (N, C)).
int64_t count_correct(const Tensor& y_pred, const Tensor& y_true);

// "accuracy" / "acc" / "sparse_categorical_accuracy" / "categorical_accuracy".
MetricPtr make_metric(const std::string& name);

}  // namespace nn
