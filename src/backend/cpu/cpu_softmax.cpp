// Softmax, cross-entropy and the kernels that read class indices (one-hot, accuracy counts).
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "cpu_backend.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
void CpuBackend::one_hot(const int64_t* labels, float* out, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(out + r * cols, out + (r + 1) * cols, 0.0f);
    out[r * cols + labels[r]] = 1.0f;
  }
}

// ---------------------------------------------------------------- softmax family

namespace {
// One row of `cols`: its maximum and the sum of exp(x - max) (in double).
struct RowSum {
  float max;
  double sum;
};
RowSum row_exp_sum(const float* x, int64_t cols) {
  const float mx = *std::max_element(x, x + cols);
  double s = 0.0;
  for (int64_t j = 0; j < cols; ++j) s += std::exp(x[j] - mx);
  return {mx, s};
}
// p = softmax(x) over one row (p must not alias x); returns the row's maximum and exp sum.
RowSum row_softmax(const float* x, float* p, int64_t cols) {
  const float mx = *std::max_element(x, x + cols);
  double s = 0.0;
  for (int64_t j = 0; j < cols; ++j) {
    p[j] = std::exp(x[j] - mx);
    s += p[j];
  }
  const auto inv = static_cast<float>(1.0 / s);
  for (int64_t j = 0; j < cols; ++j) p[j] *= inv;
  return {mx, s};
}
}  // namespace

void CpuBackend::softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      if (log) {
        const RowSum row = row_exp_sum(xr, cols);
        const float lse = row.max + static_cast<float>(std::log(row.sum));
        for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - lse;
      } else {
        row_softmax(xr, yr, cols);
      }
    }
  });
}

void CpuBackend::softmax_backward(const float* y, const float* dy, float* dx, int64_t rows,
                                  int64_t cols, bool log) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* yr = y + r * cols;
      const float* gr = dy + r * cols;
      float* dr = dx + r * cols;
      double s = 0.0;
      if (log) {  // dx = dy - softmax * sum(dy)
        for (int64_t j = 0; j < cols; ++j) s += gr[j];
        for (int64_t j = 0; j < cols; ++j) {
          dr[j] = gr[j] - std::exp(yr[j]) * static_cast<float>(s);
        }
      } else {  // dx = y * (dy - sum(dy * y))
        for (int64_t j = 0; j < cols; ++j) s += gr[j] * yr[j];
        for (int64_t j = 0; j < cols; ++j) {
          dr[j] = yr[j] * (gr[j] - static_cast<float>(s));
        }
      }
    }
  });
}

void CpuBackend::softmax_cross_entropy(const float* logits, const float* targets, const int64_t* labels,
                                       float* probs, float* loss, int64_t rows, int64_t cols) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = logits + r * cols;
      const RowSum row = row_softmax(xr, probs + r * cols, cols);
      const double lse = row.max + std::log(row.sum);
      if (labels) {
        loss[r] = static_cast<float>(lse - xr[labels[r]]);
      } else {
        const float* tr = targets + r * cols;
        double l = 0.0;
        for (int64_t j = 0; j < cols; ++j)
          if (tr[j] != 0.0f) l += tr[j] * (lse - xr[j]);
        loss[r] = static_cast<float>(l);
      }
    }
  });
}

void CpuBackend::softmax_cross_entropy_backward(const float* probs, const float* targets, const int64_t* labels,
                                                const float* scale, float* dlogits, int64_t rows, int64_t cols) {
  const float s = scale[0];
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* pr = probs + r * cols;
      float* dr = dlogits + r * cols;
      const int64_t label = labels ? labels[r] : -1;
      const float* tr = labels ? nullptr : targets + r * cols;
      for (int64_t j = 0; j < cols; ++j) {
        const float t = labels ? (j == label ? 1.0f : 0.0f) : tr[j];
        dr[j] = s * (pr[j] - t);
      }
    }
  });
}

// ---------------------------------------------------------------- metrics

void CpuBackend::count_correct(const float* scores, const float* targets, const int64_t* labels, int64_t* total,
                               int64_t rows, int64_t cols, int64_t k) {
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* sr = scores + r * cols;
    int64_t truth;
    if (labels) {
      truth = labels[r];
    } else {
      const float* tr = targets + r * cols;
      truth = std::max_element(tr, tr + cols) - tr;
    }
    if (k == 1) {
      correct += std::max_element(sr, sr + cols) - sr == truth;
    } else {  // its rank: the classes scored above it, and those scored equal before it
      const float s = sr[truth];
      int64_t rank = 0;
      for (int64_t j = 0; j < cols; ++j) rank += sr[j] > s || (sr[j] == s && j < truth);
      correct += rank < k;
    }
  }
  total[0] += correct;
}

}  // namespace nn::detail
