// Forward values of softmax and log_softmax, one_hot, argmax and top_k, and of every loss with
// each reduction, against independent definitions: naive loops in double written here (and in
// reference.hpp) with <cmath> only; no nn function computes an expected value. The definitions
// are Keras's (PyTorch's where Keras has none). The one gradient here is the label-smoothed
// cross-entropy's closed form, (softmax(z) - t) / N.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "gradcheck.hpp"
#include "reference.hpp"

using namespace nn;
using namespace nn::test;

namespace {
Generator gen(20240612);
}  // namespace

TEST_CASE("reference: softmax and log_softmax, on variables and tensors") {
  // Random rows, rows with huge logits (stable for any finite input), a row of equal values.
  Vec x = dbl(random_tensor({4, 7}, gen, -10, 10));
  for (double v : {1000.0, -1000.0, 0.0, 999.0, 1000.0, -5.0, 3.0}) x.push_back(v);
  for (double v : {-1000.0, -1000.5, -999.0, -1001.0, -1000.0, -2000.0, -1000.0}) x.push_back(v);
  for (int i = 0; i < 7; ++i) x.push_back(5.0);
  const Shape s{7, 7};
  const Variable v(tensor(s, x));
  check_close("softmax", softmax(v).value(), s, ref_softmax(x, 7, false));
  check_close("log_softmax", log_softmax(v).value(), s, ref_softmax(x, 7, true));
  check_close("softmax (Tensor)", softmax(v.value()), s, ref_softmax(x, 7, false));
  check_close("log_softmax (Tensor)", log_softmax(v.value()), s, ref_softmax(x, 7, true));
  const Vec x3 = dbl(random_tensor({2, 3, 5}, gen, -4, 4));  // over the last axis of (2, 3, 5)
  check_close("softmax (2, 3, 5)", softmax(Variable(tensor({2, 3, 5}, x3))).value(), {2, 3, 5},
              ref_softmax(x3, 5, false));
  check_close("log_softmax (2, 3, 5)", log_softmax(tensor({2, 3, 5}, x3)), {2, 3, 5},
              ref_softmax(x3, 5, true));
}

TEST_CASE("reference: softmax cross-entropy from logits, labels and distributions") {
  // loss per row = -sum_c t_c log_softmax(z)_c, t the one-hot label or the given distribution.
  Vec z = dbl(random_tensor({5, 4}, gen, -5, 5));
  for (double v : {1000.0, -1000.0, 0.0, 999.0}) z.push_back(v);
  const Vec labels{0, 3, 1, 2, 2, 3};
  Vec soft = dbl(random_tensor({6, 4}, gen, 0, 1));
  normalize_rows(soft, 4);
  const Vec onehot = ref_one_hot(labels, 4);
  const Vec logp = ref_softmax(z, 4, true);
  auto per_row = [&](const Vec& t) {
    Vec l(6, 0.0);
    for (size_t i = 0; i < 24; ++i) l[i / 4] -= t[i] * logp[i];
    return l;
  };
  const Variable logits(tensor({6, 4}, z));
  for (Reduction r : kReductions) {
    const Shape out = r == Reduction::None ? Shape{6} : Shape{};
    const std::string red = reduction_name(r);
    check_close("softmax_cross_entropy labels" + red,
                softmax_cross_entropy(logits, tensor({6}, labels), r).value(), out,
                ref_reduction(per_row(onehot), r));
    check_close("softmax_cross_entropy one-hot" + red,
                softmax_cross_entropy(logits, tensor({6, 4}, onehot), r).value(), out,
                ref_reduction(per_row(onehot), r));
    check_close("softmax_cross_entropy distributions" + red,
                softmax_cross_entropy(logits, tensor({6, 4}, soft), r).value(), out,
                ref_reduction(per_row(soft), r));
  }
}

TEST_CASE("reference: one_hot") {
  const Vec labels{0, 3, 1, 3, 2, 0};
  check_close("one_hot (6)", one_hot(tensor({6}, labels), 4), {6, 4}, ref_one_hot(labels, 4), 0, 0);
  check_close("one_hot (2, 3)", one_hot(tensor({2, 3}, labels), 5), {2, 3, 5}, ref_one_hot(labels, 5), 0, 0);
  check_close("one_hot ()", one_hot(Tensor::scalar(2.0f), 3), {3}, {0, 0, 1}, 0, 0);
}

TEST_CASE("reference: argmax and top_k, ties to the lower index") {
  // argmax: the first maximum (tensor_ops.hpp). top_k: descending, ties lower index first
  // (Backend::top_k's promise; tensor_ops.hpp says only "best first").
  Vec x = dbl(random_tensor({4, 6}, gen));
  for (size_t i : {1, 4}) x[i] = 2.0;           // row 0: tie at 1 and 4
  for (size_t i = 6; i < 12; ++i) x[i] = 0.25;  // row 1: all equal
  x[14] = x[17] = -3.0;                         // row 2: tied minima
  const Tensor t = tensor({4, 6}, x);
  Vec rows(4), cols(6);
  for (size_t r = 0; r < 4; ++r)
    for (size_t c = 0; c < 6; ++c) {
      if (c == 0 || x[r * 6 + c] > x[r * 6 + static_cast<size_t>(rows[r])]) rows[r] = static_cast<double>(c);
      if (r == 0 || x[r * 6 + c] > x[static_cast<size_t>(cols[c]) * 6 + c]) cols[c] = static_cast<double>(r);
    }
  CHECK(argmax(t).dtype() == kInt64);
  CHECK(top_k(t, 2).indices.dtype() == kInt64);
  check_close("argmax axis -1", argmax(t), {4}, rows, 0, 0);
  check_close("argmax axis 1", argmax(t, 1), {4}, rows, 0, 0);
  check_close("argmax axis 0", argmax(t, 0), {6}, cols, 0, 0);
  const Vec x3 = dbl(random_tensor({2, 5, 3}, gen));
  Vec mid(6);
  for (size_t o = 0; o < 2; ++o)
    for (size_t i = 0; i < 3; ++i) {
      size_t best = 0;
      for (size_t j = 1; j < 5; ++j)
        if (x3[(o * 5 + j) * 3 + i] > x3[(o * 5 + best) * 3 + i]) best = j;
      mid[o * 3 + i] = static_cast<double>(best);
    }
  check_close("argmax (2, 5, 3) axis 1", argmax(tensor({2, 5, 3}, x3), 1), {2, 3}, mid, 0, 0);

  for (int64_t k : {1, 3, 6}) {
    Vec values, indices;
    for (size_t r = 0; r < 4; ++r) {
      std::vector<size_t> order{0, 1, 2, 3, 4, 5};
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return x[r * 6 + a] > x[r * 6 + b]; });
      for (int64_t j = 0; j < k; ++j) {
        values.push_back(x[r * 6 + order[j]]);
        indices.push_back(static_cast<double>(order[j]));
      }
    }
    const TopK top = top_k(t, k);
    check_close("top_k values k=" + std::to_string(k), top.values, {4, k}, values, 0, 0);
    check_close("top_k indices k=" + std::to_string(k), top.indices, {4, k}, indices, 0, 0);
  }
}

TEST_CASE("reference: regression losses (MSE, MAE) with each reduction") {
  // Per example: the mean over the last axis of (p - y)^2 or |p - y|; then the reduction.
  for (const Shape& s : std::vector<Shape>{{4, 5}, {2, 3, 4}, {3, 1}})
    for (Reduction r : kReductions) {
      const Vec p = dbl(random_tensor(s, gen, -2, 2)), y = dbl(random_tensor(s, gen, -2, 2));
      const int64_t last = s.back();
      Vec se(p.size() / last, 0.0), ae = se;
      for (size_t i = 0; i < p.size(); ++i) {
        se[i / last] += (p[i] - y[i]) * (p[i] - y[i]) / static_cast<double>(last);
        ae[i / last] += std::fabs(p[i] - y[i]) / static_cast<double>(last);
      }
      const Shape out = r == Reduction::None ? Shape(s.begin(), s.end() - 1) : Shape{};
      const std::string what = to_string(s) + reduction_name(r);
      check_close("mse " + what, MeanSquaredError(r)(Variable(tensor(s, p)), tensor(s, y)).value(), out,
                  ref_reduction(se, r));
      check_close("mae " + what, MeanAbsoluteError(r)(Variable(tensor(s, p)), tensor(s, y)).value(), out,
                  ref_reduction(ae, r));
    }
}

TEST_CASE("reference: rank-1 regression losses are N examples of one output") {
  // losses.hpp: y_pred (N) is N examples with one output each (PyTorch's reading; Keras would
  // average the last axis into one example), as for BinaryCrossentropy. So Sum adds the N errors
  // and Mean averages them.
  const Vec p = dbl(random_tensor({6}, gen, -2, 2)), y = dbl(random_tensor({6}, gen, -2, 2));
  double se = 0, ae = 0;
  for (size_t i = 0; i < 6; ++i) {
    se += (p[i] - y[i]) * (p[i] - y[i]);
    ae += std::fabs(p[i] - y[i]);
  }
  check_close("mse (6) sum",
              MeanSquaredError(Reduction::Sum)(Variable(tensor({6}, p)), tensor({6}, y)).value(), {}, {se});
  check_close("mae (6) sum",
              MeanAbsoluteError(Reduction::Sum)(Variable(tensor({6}, p)), tensor({6}, y)).value(), {}, {ae});
  check_close("mse (6) mean",
              MeanSquaredError(Reduction::Mean)(Variable(tensor({6}, p)), tensor({6}, y)).value(), {},
              {se / 6});
  check_close("mae (6) mean",
              MeanAbsoluteError(Reduction::Mean)(Variable(tensor({6}, p)), tensor({6}, y)).value(), {},
              {ae / 6});
}

TEST_CASE("reference: binary cross-entropy from probabilities and from logits") {
  // Probabilities: -(y log p + (1 - y) log(1 - p)), p clipped to [1e-7, 1 - 1e-7] as losses.hpp
  // documents (Keras's epsilon); the upper bound is the float32 value 1 - 1e-7 rounds to,
  // 1 - 2^-23, as in Keras computing in float32. Logits: softplus(z) - z y.
  const double lo = 1e-7f, hi = 1.0f - 1e-7f;
  Vec p = dbl(random_tensor({4, 3}, gen, 0.02f, 0.98f)), y = dbl(random_tensor({4, 3}, gen, 0, 1));
  for (size_t i = 0; i < 6; ++i) y[i] = std::round(y[i]);  // two rows of hard labels
  p.insert(p.end(), {0, 0, 1, 1, 0.5});
  y.insert(y.end(), {0, 1, 1, 0, 1});
  p.push_back(0.3);
  y.push_back(0.25);
  Vec z = dbl(random_tensor({4, 3}, gen, -10, 10));
  z.insert(z.end(), {30, -30, 100, -100, 0, 5});
  const Shape s{6, 3};
  Vec from_p(6, 0.0), from_z(6, 0.0), elem_p, elem_z;
  for (size_t i = 0; i < 18; ++i) {
    const double q = std::min(std::max(p[i], lo), hi);
    const double lp = -(y[i] * std::log(q) + (1 - y[i]) * std::log(1 - q));
    const double lz = std::max(z[i], 0.0) + std::log1p(std::exp(-std::fabs(z[i]))) - z[i] * y[i];
    from_p[i / 3] += lp / 3;
    from_z[i / 3] += lz / 3;
    elem_p.push_back(lp);
    elem_z.push_back(lz);
  }
  for (Reduction r : kReductions) {
    const Shape out = r == Reduction::None ? Shape{6} : Shape{};
    const std::string red = reduction_name(r);
    const BinaryCrossentropy probs(CrossentropyOptions().reduction(r)),
        logits(CrossentropyOptions().from_logits(true).reduction(r));
    check_close("bce probabilities" + red, probs(Variable(tensor(s, p)), tensor(s, y)).value(), out,
                ref_reduction(from_p, r));
    check_close("bce logits" + red, logits(Variable(tensor(s, z)), tensor(s, y)).value(), out,
                ref_reduction(from_z, r));
    // y_pred (N): one output per example, as losses.hpp documents for this loss.
    const Shape flat{18}, flat_out = r == Reduction::None ? flat : Shape{};
    check_close("bce (N) probabilities" + red, probs(Variable(tensor(flat, p)), tensor(flat, y)).value(),
                flat_out, ref_reduction(elem_p, r));
    check_close("bce (N) logits" + red, logits(Variable(tensor(flat, z)), tensor(flat, y)).value(), flat_out,
                ref_reduction(elem_z, r));
  }
}

TEST_CASE("reference: categorical and sparse categorical cross-entropy, with label smoothing") {
  // Targets t (one-hot of the labels for the sparse loss), smoothed to t (1 - s) + s / C.
  // Logits: -sum t log_softmax(z). Probabilities: p / sum(p) clipped to [1e-7, 1 - 1e-7], then
  // -sum t log p (Keras).
  const int64_t n = 5, c = 4;
  const Vec labels{2, 0, 3, 1, 3};
  Vec z = dbl(random_tensor({n, c}, gen, -4, 4)),
      p = dbl(random_tensor({n, c}, gen, 0.05f, 1));  // p unnormalised
  p[1] = 0;                                           // clipped up
  Vec soft = dbl(random_tensor({n, c}, gen, 0, 1));
  normalize_rows(soft, c);
  const Vec onehot = ref_one_hot(labels, c), logp_z = ref_softmax(z, c, true);
  Vec logp_p = p;
  normalize_rows(logp_p, c);
  for (double& q : logp_p) q = std::log(std::min(std::max(q, 1e-7), 1 - 1e-7));
  auto per_row = [](const Vec& t, const Vec& logq, double s) {
    Vec l(5, 0.0);
    for (size_t i = 0; i < 20; ++i) l[i / 4] -= (t[i] * (1 - s) + s / 4) * logq[i];
    return l;
  };
  for (float s : {0.0f, 0.1f, 0.3f})
    for (Reduction r : kReductions) {
      const Shape out = r == Reduction::None ? Shape{n} : Shape{};
      const std::string what = " smoothing " + std::to_string(s) + reduction_name(r);
      const auto o = CrossentropyOptions().reduction(r).label_smoothing(s);
      const CategoricalCrossentropy cce_p(o), cce_z(CrossentropyOptions(o).from_logits(true));
      const SparseCategoricalCrossentropy scce_p(o), scce_z(CrossentropyOptions(o).from_logits(true));
      const Variable vz(tensor({n, c}, z)), vp(tensor({n, c}, p));
      check_close("cce logits one-hot" + what, cce_z(vz, tensor({n, c}, onehot)).value(), out,
                  ref_reduction(per_row(onehot, logp_z, s), r));
      check_close("cce logits soft" + what, cce_z(vz, tensor({n, c}, soft)).value(), out,
                  ref_reduction(per_row(soft, logp_z, s), r));
      check_close("cce probabilities" + what, cce_p(vp, tensor({n, c}, soft)).value(), out,
                  ref_reduction(per_row(soft, logp_p, s), r));
      check_close("scce logits" + what, scce_z(vz, tensor({n}, labels)).value(), out,
                  ref_reduction(per_row(onehot, logp_z, s), r));
      check_close("scce probabilities" + what, scce_p(vp, tensor({n}, labels)).value(), out,
                  ref_reduction(per_row(onehot, logp_p, s), r));
    }
}

TEST_CASE("reference: label-smoothed cross-entropy gradient, (softmax(z) - t) / N") {
  const int64_t n = 4, c = 5;
  const double s = 0.2;
  const Vec z = dbl(random_tensor({n, c}, gen, -3, 3)), labels{4, 0, 2, 2};
  const Vec p = ref_softmax(z, c, false), onehot = ref_one_hot(labels, c);
  for (Reduction r : {Reduction::Mean, Reduction::Sum}) {
    Vec want(p.size());
    for (size_t i = 0; i < p.size(); ++i)
      want[i] = (p[i] - (onehot[i] * (1 - s) + s / c)) / (r == Reduction::Mean ? n : 1);
    const auto o =
        CrossentropyOptions().from_logits(true).label_smoothing(static_cast<float>(s)).reduction(r);
    Variable sparse_z(tensor({n, c}, z), true), dense_z(tensor({n, c}, z), true);
    const SparseCategoricalCrossentropy sparse(o);
    sparse(sparse_z, tensor({n}, labels)).backward();
    const CategoricalCrossentropy dense(o);
    dense(dense_z, tensor({n, c}, onehot)).backward();
    const std::string red = reduction_name(r);
    check_close("scce smoothed gradient" + red, sparse_z.grad(), {n, c}, want);
    check_close("cce smoothed gradient" + red, dense_z.grad(), {n, c}, want);
  }
}
