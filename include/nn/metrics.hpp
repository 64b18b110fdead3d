#pragma once
// Metrics: streaming (update per batch, result over all batches since reset), as in Keras.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace nn {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;
  virtual void update(const Tensor& y_pred, const Tensor& y_true) = 0;
  virtual double result() const = 0;
  virtual void reset() = 0;
  // The state as sums that add up across the replicas of a data-parallel job (Accuracy: the rows
  // right and the rows seen), and its replacement by such sums: how fit and evaluate reduce a metric
  // over ranks (nn/model/replicas.hpp). A metric without them cannot be used there (the default
  // throws std::logic_error naming it).
  virtual std::vector<double> totals() const;
  virtual void set_totals(const std::vector<double>& totals);
};

using MetricPtr = std::shared_ptr<Metric>;

// Fraction of rows whose true class is among the k highest scores (Keras's
// top_k_categorical_accuracy, k = 5 by default; ties: the lower class first); labels (N) or
// one-hot (N, C). The count of those rows is kept on the predictions' device (update queues work
// and reads nothing; result() reads it).
class TopKAccuracy : public Metric {
 public:
  explicit TopKAccuracy(int64_t k = 5, std::string name = "top_k_categorical_accuracy")
      : k_(k), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void update(const Tensor& y_pred, const Tensor& y_true) override;
  double result() const override;
  void reset() override {
    correct_ = Tensor();
    count_ = 0.0;
  }
  std::vector<double> totals() const override;
  void set_totals(const std::vector<double>& totals) override;

 private:
  int64_t k_;
  std::string name_;
  Tensor correct_;  // int64 scalar on the device
  double count_ = 0.0;
};

// Fraction of rows whose argmax matches (first on ties): labels (N) for sparse,
// one-hot/distribution (N, C) otherwise; "accuracy" picks by the shape of y_true. Top-k accuracy
// with k = 1.
class Accuracy : public TopKAccuracy {
 public:
  explicit Accuracy(std::string name = "accuracy") : TopKAccuracy(1, std::move(name)) {}
};

// The mean of (y_pred - y_true)² or |y_pred - y_true| over every element seen; the sum is kept
// on the predictions' device, as Accuracy's count.
class MeanError : public Metric {
 public:
  MeanError(bool squared, std::string name) : squared_(squared), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  void update(const Tensor& y_pred, const Tensor& y_true) override;
  double result() const override;
  void reset() override {
    sum_ = Tensor();
    count_ = 0.0;
  }
  std::vector<double> totals() const override;
  void set_totals(const std::vector<double>& totals) override;

 private:
  bool squared_;
  std::string name_;
  Tensor sum_;  // float32 scalar on the device
  double count_ = 0.0;
};

// Number of rows of y_pred (N, C) whose argmax matches y_true (labels (N) or (N, C)).
int64_t count_correct(const Tensor& y_pred, const Tensor& y_true);

// By Keras name: "accuracy" (alias "acc"), "sparse_categorical_accuracy", "categorical_accuracy",
// "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error" ("mse"),
// "mean_absolute_error" ("mae"). Throws std::invalid_argument listing them for others.
MetricPtr make_metric(const std::string& name);
// Adds a metric make_metric (and so compile() and model files) can name.
using MetricFactory = std::function<MetricPtr(const std::string& name)>;
void register_metric(const std::string& name, MetricFactory factory);

}  // namespace nn
