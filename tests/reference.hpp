#pragma once
// Shared by the reference tests (test_op_references.cpp, test_loss_references.cpp): values moved
// to and from double, an element-wise comparison that counts NaN as a difference, and the plain
// definitions both files use (softmax, one-hot rows, loss reductions). Nothing here calls an nn
// function to compute an expected value.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "nn/nn.hpp"

namespace nn::test {
using Vec = std::vector<double>;

inline Vec dbl(const Tensor& t) {
  const auto v = t.to_vector();
  return Vec(v.begin(), v.end());
}
inline Tensor tensor(const Shape& s, const Vec& v) {
  return Tensor::from_vector(s, std::vector<float>(v.begin(), v.end()));
}
inline int64_t count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Checks got's shape, then counts the elements farther than atol + rtol |want| from want (NaN
// counts as far; an infinite want needs exactly that infinity), naming the first.
inline void check_close(const std::string& what, const Tensor& got, const Shape& shape, const Vec& want,
                        double rtol = 1e-5, double atol = 1e-5) {
  CHECK_MESSAGE(got.shape() == shape,
                what << ": shape " << to_string(got.shape()) << ", want " << to_string(shape));
  if (got.shape() != shape || static_cast<size_t>(got.numel()) != want.size()) return;
  const auto g = got.to(kFloat32).to_vector();  // integer results (indices) compared exactly
  int bad = 0;
  size_t first = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double w = want[i], v = g[i];
    const bool ok = std::isinf(w) ? v == w : std::fabs(v - w) <= atol + rtol * std::fabs(w);
    if (!ok && bad++ == 0) first = i;
  }
  std::ostringstream msg;
  if (bad)
    msg << std::setprecision(10) << "first at " << first << ": got " << g[first] << ", want " << want[first];
  CHECK_MESSAGE(bad == 0, what << ": " << bad << " of " << g.size() << " elements differ; " << msg.str());
}

// ---- softmax over the last axis, stable in double ----
inline Vec ref_softmax(const Vec& x, int64_t cols, bool log) {
  Vec y(x.size());
  for (size_t r = 0; r < x.size() / cols; ++r) {
    const double* z = &x[r * cols];
    const double m = *std::max_element(z, z + cols);
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += std::exp(z[c] - m);
    for (int64_t c = 0; c < cols; ++c)
      y[r * cols + c] = log ? z[c] - m - std::log(s) : std::exp(z[c] - m) / s;
  }
  return y;
}

// One-hot rows of integer labels; rows scaled to sum 1.
inline Vec ref_one_hot(const Vec& labels, int64_t classes) {
  Vec y(labels.size() * classes, 0.0);
  for (size_t i = 0; i < labels.size(); ++i) y[i * classes + static_cast<size_t>(labels[i])] = 1.0;
  return y;
}
inline void normalize_rows(Vec& v, size_t cols) {
  for (size_t r = 0; r < v.size() / cols; ++r) {
    double total = 0;
    for (size_t c = 0; c < cols; ++c) total += v[r * cols + c];
    for (size_t c = 0; c < cols; ++c) v[r * cols + c] /= total;
  }
}

inline const Reduction kReductions[] = {Reduction::Mean, Reduction::Sum, Reduction::None};
inline std::string reduction_name(Reduction r) {
  return r == Reduction::Mean ? " (mean)" : r == Reduction::Sum ? " (sum)" : " (none)";
}
// Per-example loss values reduced as Reduction says: mean or sum to one value, or unchanged.
inline Vec ref_reduction(const Vec& per, Reduction r) {
  if (r == Reduction::None) return per;
  double s = 0;
  for (double v : per) s += v;
  return {r == Reduction::Mean ? s / static_cast<double>(per.size()) : s};
}
}  // namespace nn::test
