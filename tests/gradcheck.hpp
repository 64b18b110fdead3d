#pragma once
#include <algorithm>
// Gradient checks by central differences.
//
// For f(inputs) -> y of any shape, checks the analytic gradient of L = sum(y * R), R a fixed
// random tensor (so every output element matters), against (L(x + h) - L(x - h)) / 2h computed
// in double from float32 forward passes. Memory poisoning is on while the analytic gradient is
// computed, so an element a kernel forgets to write is NaN and fails the comparison. For big
// inputs, `max_probes` random positions are checked instead of all.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "nn/nn.hpp"

namespace nn::test {

struct GradCheckOptions {
  double step = 1e-2;
  double atol = 2e-3;
  double rtol = 2e-2;
  int max_probes = 64;
  uint64_t seed = 7;
};

// The largest |a - b| over the elements; infinity when the shapes differ.
inline float max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  const auto x = a.to_vector(), y = b.to_vector();
  float m = 0.0f;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

inline Tensor random_tensor(const Shape& shape, Generator& gen, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (auto& x : v) x = gen.uniform(lo, hi);
  return Tensor::from_vector(shape, v);
}

using Fn = std::function<Variable(const std::vector<Variable>&)>;

inline double weighted_sum(const Tensor& y, const std::vector<float>& r) {
  const auto v = y.to_vector();
  double s = 0.0;
  for (size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * r[i];
  return s;
}

// Compares `analytic`, the gradient of loss() with respect to `value`, with central differences
// (loss(v + h) - loss(v - h)) / 2h at every element, or at max_probes random ones of a big
// tensor. Returns the number that disagree; the first few are reported via doctest, named `what`.
inline int compare_with_differences(Tensor& value, const std::vector<float>& analytic,
                                    const std::function<double()>& loss, const GradCheckOptions& o,
                                    Generator& gen, const std::string& what) {
  const int64_t n = value.numel();
  std::vector<int64_t> probes;
  if (n <= o.max_probes) {
    for (int64_t k = 0; k < n; ++k) probes.push_back(k);
  } else {
    for (int k = 0; k < o.max_probes; ++k) probes.push_back(static_cast<int64_t>(gen.below(static_cast<uint64_t>(n))));
  }
  int failures = 0;
  for (int64_t k : probes) {
    NoGradGuard no_grad;
    float* p = value.data() + k;
    const float saved = *p;
    *p = static_cast<float>(saved + o.step);
    const double up = loss();
    *p = static_cast<float>(saved - o.step);
    const double down = loss();
    *p = saved;
    const double numeric = (up - down) / (2.0 * o.step);
    const double a = analytic[static_cast<size_t>(k)];
    if (!(std::fabs(a - numeric) <= o.atol + o.rtol * std::fabs(numeric))) {
      if (++failures <= 5) MESSAGE(what << " element " << k << ": analytic " << a << " vs numeric " << numeric);
    }
  }
  return failures;
}

// Returns the number of mismatching entries (0 on success), reporting each via doctest.
inline int gradcheck(const Fn& f, const std::vector<Tensor>& inputs, const GradCheckOptions& o = {},
                     const std::vector<bool>& differentiable = {}) {
  Generator gen(o.seed);
  std::vector<Variable> vars;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool d = differentiable.empty() || differentiable[i];
    vars.emplace_back(inputs[i].clone(), d);
  }
  Tensor y0 = f(vars).value();
  std::vector<float> r(static_cast<size_t>(y0.numel()));
  for (auto& x : r) x = gen.uniform(-1.0f, 1.0f);

  set_poison_memory(true);
  Variable y = f(vars);
  Variable loss = sum(mul(y, Variable(Tensor::from_vector(y.shape(), r))));
  loss.backward();
  set_poison_memory(false);

  int failures = 0;
  for (size_t i = 0; i < vars.size(); ++i) {
    if (!vars[i].requires_grad()) continue;
    REQUIRE_MESSAGE(vars[i].has_grad(), "input " << i << " received no gradient");
    failures += compare_with_differences(vars[i].value(), vars[i].grad().to_vector(),
                                         [&] { return weighted_sum(f(vars).value(), r); }, o, gen,
                                         "input " + std::to_string(i));
  }
  CHECK_MESSAGE(failures == 0, failures << " gradient entries disagree");
  return failures;
}

}  // namespace nn::test
