// Moving and selecting elements: permute (transpose), argmax, top_k.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "cpu_backend.hpp"
#include "thread_pool.hpp"

namespace nn::detail {

void CpuBackend::permute(const float* x, const Shape& x_shape, const std::vector<int>& axes, float* y) {
  const size_t nd = x_shape.size();
  std::vector<int64_t> x_strides(nd, 1);
  for (size_t i = nd; i-- > 1;) x_strides[i - 1] = x_strides[i] * x_shape[i];
  std::vector<int64_t> out_shape(nd), src_stride(nd);  // per output axis: its extent, x's stride
  for (size_t i = 0; i < nd; ++i) {
    out_shape[i] = x_shape[static_cast<size_t>(axes[i])];
    src_stride[i] = x_strides[static_cast<size_t>(axes[i])];
  }
  const int64_t n = nn::numel(x_shape);
  if (n == 0) return;
  if (nd == 0) {
    y[0] = x[0];
    return;
  }
  const int64_t inner = nd ? out_shape[nd - 1] : 1, rows = n / std::max<int64_t>(1, inner);
  const int64_t inner_stride = nd ? src_stride[nd - 1] : 1;
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inner)), [&](int64_t b, int64_t e) {
    std::vector<int64_t> idx(nd, 0);
    for (int64_t r = b; r < e; ++r) {
      // The source offset of output row r: its multi-index over all axes but the last.
      int64_t rem = r, src = 0;
      for (size_t i = nd - 1; i-- > 0;) {
        src += (rem % out_shape[i]) * src_stride[i];
        rem /= out_shape[i];
      }
      float* out = y + r * inner;
      if (inner_stride == 1) {
        std::copy(x + src, x + src + inner, out);
      } else {
        for (int64_t j = 0; j < inner; ++j) out[j] = x[src + j * inner_stride];
      }
    }
  });
}

void CpuBackend::gather_rows(const void* src, int64_t src_rows, const int64_t* index, void* dst, int64_t count, int64_t row_bytes) {
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
  parallel_for(count, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, row_bytes)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      if (index[r] >= 0 && index[r] < src_rows)
        std::memcpy(d + r * row_bytes, s + index[r] * row_bytes, static_cast<size_t>(row_bytes));
      else
        std::memset(d + r * row_bytes, 0, static_cast<size_t>(row_bytes));
    }
  });
}

void CpuBackend::argmax(const float* x, int64_t* out, int64_t outer, int64_t n, int64_t inner) {
  parallel_for(outer * inner, 4096, [&](int64_t b, int64_t e) {
    for (int64_t oi = b; oi < e; ++oi) {
      const int64_t o = oi / inner, i = oi % inner;
      const float* p = x + o * n * inner + i;
      int64_t best = 0;
      float best_v = n ? p[0] : 0.0f;
      for (int64_t j = 1; j < n; ++j) {
        const float v = p[j * inner];
        if (v > best_v || (v != v && best_v == best_v)) {
          best_v = v;
          best = j;
        }
      }
      out[oi] = best;
    }
  });
}

void CpuBackend::top_k(const float* x, float* values, int64_t* indices, int64_t rows, int64_t cols, int64_t k) {
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, cols)), [&](int64_t b, int64_t e) {
    std::vector<int64_t> order(static_cast<size_t>(cols));
    for (int64_t r = b; r < e; ++r) {
      const float* row = x + r * cols;
      std::iota(order.begin(), order.end(), int64_t{0});
      // Descending by value, NaN first (as the largest), lower index first on ties.
      auto before = [row](int64_t a, int64_t c) {
        const float va = row[a], vc = row[c];
        if (va != va || vc != vc) return (va != va) && (vc == vc || a < c);
        return va > vc || (va == vc && a < c);
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        values[r * k + j] = row[order[static_cast<size_t>(j)]];
        indices[r * k + j] = order[static_cast<size_t>(j)];
      }
    }
  });
}

}  // namespace nn::detail
