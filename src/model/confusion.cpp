#include "nn/model/confusion.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace nn {

ConfusionMatrix::ConfusionMatrix(int64_t classes) : classes_(classes) {
  if (classes < 1 || classes > 100000)
    throw std::invalid_argument(fmt::format("ConfusionMatrix: {} classes (1 to 100000)", classes));
  counts_.assign(static_cast<size_t>(classes * classes), 0);
}

void ConfusionMatrix::add(int64_t truth, int64_t predicted) {
  if (truth < 0 || truth >= classes_ || predicted < 0 || predicted >= classes_)
    throw std::invalid_argument(fmt::format("ConfusionMatrix: class {} or {} outside [0, {})", truth, predicted, classes_));
  ++counts_[static_cast<size_t>(truth * classes_ + predicted)];
  ++total_;
}

int64_t ConfusionMatrix::count(int64_t truth, int64_t predicted) const {
  return counts_.at(static_cast<size_t>(truth * classes_ + predicted));
}

double ConfusionMatrix::accuracy() const {
  int64_t right = 0;
  for (int64_t c = 0; c < classes_; ++c) right += count(c, c);
  return total_ ? static_cast<double>(right) / static_cast<double>(total_) : 0.0;
}

std::vector<ClassReport> ConfusionMatrix::per_class() const {
  std::vector<ClassReport> out(static_cast<size_t>(classes_));
  for (int64_t c = 0; c < classes_; ++c) {
    int64_t predicted = 0, actual = 0;
    for (int64_t k = 0; k < classes_; ++k) predicted += count(k, c), actual += count(c, k);
    ClassReport& r = out[static_cast<size_t>(c)];
    const auto tp = static_cast<double>(count(c, c));
    r.support = actual;
    r.precision = predicted ? tp / static_cast<double>(predicted) : 0.0;
    r.recall = actual ? tp / static_cast<double>(actual) : 0.0;
    r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0.0;
  }
  return out;
}

std::string ConfusionMatrix::report(int digits) const {
  const std::vector<ClassReport> rows = per_class();
  const int w = std::max(digits + 6, 9);
  std::string out = fmt::format("{:>12}{:>{}}{:>{}}{:>{}}{:>{}}\n\n", "", "precision", w, "recall", w, "f1-score", w,
                                "support", w);
  const auto line = [&](const std::string& name, double p, double r, double f, int64_t n) {
    return fmt::format("{:>12}{:>{}.{}f}{:>{}.{}f}{:>{}.{}f}{:>{}}\n", name, p, w, digits, r, w, digits, f, w, digits, n, w);
  };
  for (size_t c = 0; c < rows.size(); ++c)
    out += line(std::to_string(c), rows[c].precision, rows[c].recall, rows[c].f1, rows[c].support);
  out += fmt::format("\n{:>12}{:>{}}{:>{}}{:>{}.{}f}{:>{}}\n", "accuracy", "", w, "", w, accuracy(), w, digits, total_, w);
  const ClassReport macro = macro_average(), weighted = weighted_average();
  out += line("macro avg", macro.precision, macro.recall, macro.f1, total_);
  out += line("weighted avg", weighted.precision, weighted.recall, weighted.f1, total_);
  return out;
}

ClassReport ConfusionMatrix::macro_average() const {
  const std::vector<ClassReport> rows = per_class();
  ClassReport m;
  for (const ClassReport& r : rows) {
    m.precision += r.precision / static_cast<double>(rows.size());
    m.recall += r.recall / static_cast<double>(rows.size());
    m.f1 += r.f1 / static_cast<double>(rows.size());
  }
  m.support = total_;
  return m;
}

ClassReport ConfusionMatrix::weighted_average() const {
  ClassReport w;
  for (const ClassReport& r : per_class()) {
    const double share = total_ ? static_cast<double>(r.support) / static_cast<double>(total_) : 0.0;
    w.precision += r.precision * share, w.recall += r.recall * share, w.f1 += r.f1 * share;
  }
  w.support = total_;
  return w;
}

std::string ConfusionMatrix::table() const {
  int64_t most = 1;
  for (int64_t v : counts_) most = std::max(most, v);
  const int w = std::max(static_cast<int>(std::to_string(most).size()) + 1, 4);
  std::string out = fmt::format("{:>8}", "true\\pred");
  for (int64_t p = 0; p < classes_; ++p) out += fmt::format("{:>{}}", p, w);
  out += "\n";
  for (int64_t t = 0; t < classes_; ++t) {
    out += fmt::format("{:>8} ", t);
    for (int64_t p = 0; p < classes_; ++p) out += fmt::format("{:>{}}", count(t, p), w);
    out += "\n";
  }
  return out;
}

ConfusionMatrix confusion_matrix(const Tensor& scores, const Tensor& labels) {
  if (scores.ndim() != 2 || labels.ndim() != 1 || labels.dim(0) != scores.dim(0))
    throw std::invalid_argument("confusion_matrix: scores (N, C) and labels (N), got " + to_string(scores.shape()) +
                                " and " + to_string(labels.shape()));
  const int64_t n = scores.dim(0), c = scores.dim(1);
  const std::vector<float> s = scores.to(kFloat32).to_vector();
  const std::vector<float> l = labels.to(kFloat32).to_vector();
  ConfusionMatrix cm(c);
  for (int64_t i = 0; i < n; ++i) {
    const float* row = s.data() + i * c;
    const auto predicted = static_cast<int64_t>(std::max_element(row, row + c) - row);  // the first maximum
    const float truth = l[static_cast<size_t>(i)];
    if (!(truth >= 0 && truth < static_cast<float>(c)) || truth != std::floor(truth))
      throw std::invalid_argument(fmt::format("confusion_matrix: label {} of row {} is not a class in [0, {})", truth, i, c));
    cm.add(static_cast<int64_t>(truth), predicted);
  }
  return cm;
}

}  // namespace nn
