#pragma once
// How a classifier's answers spread over the classes: the confusion matrix, and from it each
// class's precision, recall and F1 (scikit-learn's classification_report, in its text layout).
//
//   auto cm = nn::confusion_matrix(nn::predict_probabilities(model, x), labels);
//   std::cout << cm.report() << cm.table();
#include <cstdint>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace nn {

struct ClassReport {
  double precision = 0, recall = 0, f1 = 0;  // 0 where undefined (no predictions, no rows), as scikit-learn
  int64_t support = 0;                       // the rows of this class
};

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t classes);
  void add(int64_t truth, int64_t predicted);
  int64_t classes() const { return classes_; }
  // The rows of true class t predicted as p.
  int64_t count(int64_t truth, int64_t predicted) const;
  int64_t total() const { return total_; }
  double accuracy() const;
  std::vector<ClassReport> per_class() const;
  // The classes' mean (macro) and support-weighted mean (weighted); support: all rows.
  ClassReport macro_average() const;
  ClassReport weighted_average() const;
  // scikit-learn's classification_report: a line per class, then accuracy, macro avg, weighted avg.
  std::string report(int digits = 4) const;
  // The matrix as text: a row per true class, a column per predicted class.
  std::string table() const;

 private:
  int64_t classes_;
  std::vector<int64_t> counts_;  // classes x classes, row-major by true class
  int64_t total_ = 0;
};

// scores (N, C) (probabilities or logits: the argmax is the prediction, ties to the lower class)
// against labels (N) of class indices. Throws std::invalid_argument naming the shapes, or a label
// outside [0, C).
ConfusionMatrix confusion_matrix(const Tensor& scores, const Tensor& labels);

}  // namespace nn
