// nn's own CUDA kernels (see cuda_kernels.hpp). Elementwise work runs one thread per element in
// grid-stride loops; row-wise work (softmax, cross-entropy) one warp per row; sums (bias gradients,
// reductions) one block per output with CUB's block reduction, in double, so results do not depend
// on scheduling (no float atomics anywhere). The layers' kernels (pooling, batch normalization,
// dropout, accuracy counts, optimizers) are in cuda_layer_kernels.cu; what both use, cuda_launch.cuh.
#include <cub/block/block_reduce.cuh>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>

#include "cuda_check.hpp"
#include "cuda_launch.cuh"
#include "cuda_kernels.hpp"
#include "kernel_math.hpp"

namespace nn::detail::cuda {
namespace {

// ---- element types ----
template <DType T>
struct Storage;
template <>
struct Storage<DType::Float32> {
  using type = float;
  static __device__ double get(float v) { return v; }
  static __device__ float put(double v) { return static_cast<float>(v); }
};
template <>
struct Storage<DType::Float16> {
  using type = uint16_t;
  static __device__ double get(uint16_t v) { return kmath::from_half_bits(v); }
  static __device__ uint16_t put(double v) { return kmath::to_half_bits(static_cast<float>(v)); }
};
template <>
struct Storage<DType::BFloat16> {
  using type = uint16_t;
  static __device__ double get(uint16_t v) { return kmath::from_bfloat16_bits(v); }
  static __device__ uint16_t put(double v) { return kmath::to_bfloat16_bits(static_cast<float>(v)); }
};
template <>
struct Storage<DType::Int32> {
  using type = int32_t;
  static __device__ double get(int32_t v) { return v; }
  static __device__ int32_t put(double v) {
    return kmath::to_integer<int32_t>(v, INT32_MIN, INT32_MAX);
  }
};
template <>
struct Storage<DType::Int64> {
  using type = int64_t;
  static __device__ double get(int64_t v) { return static_cast<double>(v); }
  static __device__ int64_t put(double v) {
    return kmath::to_integer<int64_t>(v, INT64_MIN, INT64_MAX);
  }
};
template <>
struct Storage<DType::UInt8> {
  using type = uint8_t;
  static __device__ double get(uint8_t v) { return v; }
  static __device__ uint8_t put(double v) { return kmath::to_integer<uint8_t>(v, 0, 255); }
};

// f(Storage<T>) for the dtype t.
template <class F>
void with_storage(DType t, const F& f) {
  switch (t) {
    case DType::Float32: return f(Storage<DType::Float32>{});
    case DType::Float16: return f(Storage<DType::Float16>{});
    case DType::BFloat16: return f(Storage<DType::BFloat16>{});
    case DType::Int32: return f(Storage<DType::Int32>{});
    case DType::Int64: return f(Storage<DType::Int64>{});
    case DType::UInt8: return f(Storage<DType::UInt8>{});
  }
  throw std::invalid_argument("cuda: unknown dtype");
}

// dst[j] = sum of src over the reduced index space of dst element j.
template <int BS>
__global__ void reduce_kernel(const float* src, float* dst, int64_t dst_count, ReduceIndex ix) {
  __shared__ typename BlockSum<BS>::TempStorage tmp;
  for (int64_t j = blockIdx.x; j < dst_count; j += gridDim.x) {
    int64_t base = 0, rem = j;
    for (int d = ix.kept_rank - 1; d >= 0; --d) {
      base += (rem % ix.kept_dims[d]) * ix.kept_strides[d];
      rem /= ix.kept_dims[d];
    }
    double acc = 0.0;
    for (int64_t r = threadIdx.x; r < ix.reduced_count; r += BS) {
      int64_t off = 0, q = r;
      for (int d = ix.reduced_rank - 1; d >= 0; --d) {
        off += (q % ix.reduced_dims[d]) * ix.reduced_strides[d];
        q /= ix.reduced_dims[d];
      }
      acc += src[base + off];
    }
    const double total = BlockSum<BS>(tmp).Sum(acc);
    if (threadIdx.x == 0) dst[j] = static_cast<float>(total);
    __syncthreads();
  }
}

// db[c] = sum of g over outer and inner, one block per channel.
__global__ void channel_sum_kernel(const float* g, float* db, int64_t outer, int64_t channels, int64_t inner) {
  __shared__ typename BlockSum<kThreads>::TempStorage tmp;
  const int64_t c = blockIdx.x, count = outer * inner;
  double acc = 0.0;
  for (int64_t r = threadIdx.x; r < count; r += kThreads) acc += g[channel_at(r, c, channels, inner)];
  const double total = BlockSum<kThreads>(tmp).Sum(acc);
  if (threadIdx.x == 0) db[c] = static_cast<float>(total);
}

__global__ void sum_kernel(const float* x, float* out, int64_t n) {
  __shared__ typename BlockSum<1024>::TempStorage tmp;
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += 1024) acc += x[i];
  const double total = BlockSum<1024>(tmp).Sum(acc);
  if (threadIdx.x == 0) out[0] = static_cast<float>(total);
}

// ---- the fused cross-entropy: one warp per row ----
struct RowStats {
  float max;
  double sum;  // of exp(x - max)
};
__device__ RowStats row_stats(const float* x, int64_t cols, int lane) {
  float mx = -INFINITY;
  for (int64_t j = lane; j < cols; j += kWarp) mx = fmaxf(mx, x[j]);
  mx = warp_max(mx);
  double s = 0.0;
  for (int64_t j = lane; j < cols; j += kWarp) s += expf(x[j] - mx);
  return {mx, warp_sum(s)};
}

#define NN_FOR_ROWS(row, rows)                                                                     \
  const int lane = threadIdx.x % kWarp;                                                             \
  for (int64_t row = blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + threadIdx.x / kWarp; row < (rows); \
       row += static_cast<int64_t>(gridDim.x) * kRowsPerBlock)

__global__ void xent_kernel(const float* logits, const float* targets, const int64_t* labels, float* probs,
                            float* loss, int64_t rows, int64_t cols) {
  NN_FOR_ROWS(r, rows) {
    const float* xr = logits + r * cols;
    float* pr = probs + r * cols;
    const RowStats st = row_stats(xr, cols, lane);
    const auto inv = static_cast<float>(1.0 / st.sum);
    for (int64_t j = lane; j < cols; j += kWarp) pr[j] = expf(xr[j] - st.max) * inv;
    const double lse = st.max + ::log(st.sum);
    if (labels) {  // a label out of range (reported by check_class_labels) reads nothing: NaN
      const int64_t label = labels[r];
      if (lane == 0) loss[r] = label >= 0 && label < cols ? static_cast<float>(lse - xr[label]) : NAN;
    } else {
      const float* tr = targets + r * cols;
      double l = 0.0;
      for (int64_t j = lane; j < cols; j += kWarp)
        if (tr[j] != 0.0f) l += tr[j] * (lse - xr[j]);
      l = warp_sum(l);
      if (lane == 0) loss[r] = static_cast<float>(l);
    }
  }
}

}  // namespace

// ---------------------------------------------------------------- memory and types

void fill(cudaStream_t s, float* y, float value, int64_t n) {
  each(s, n, "fill", [=] __device__(int64_t i) { y[i] = value; });
}

void axpy(cudaStream_t s, int64_t n, float alpha, const float* x, float* y) {
  each(s, n, "axpy", [=] __device__(int64_t i) { y[i] += alpha * x[i]; });
}

void scale(cudaStream_t s, int64_t n, float alpha, const float* x, float* y) {
  each(s, n, "scale", [=] __device__(int64_t i) { y[i] = alpha * x[i]; });
}

namespace {
template <class In, class Out>
void convert_as(cudaStream_t s, const void* src, void* dst, int64_t n) {
  const auto* a = static_cast<const typename In::type*>(src);
  auto* b = static_cast<typename Out::type*>(dst);
  each(s, n, "convert", [=] __device__(int64_t i) { b[i] = Out::put(In::get(a[i])); });
}
template <class In>
struct ConvertTo {
  cudaStream_t s;
  const void* src;
  void* dst;
  int64_t n;
  template <class Out>
  void operator()(Out) const {
    convert_as<In, Out>(s, src, dst, n);
  }
};
struct ConvertFrom {
  cudaStream_t s;
  const void* src;
  DType to;
  void* dst;
  int64_t n;
  template <class In>
  void operator()(In) const {
    with_storage(to, ConvertTo<In>{s, src, dst, n});
  }
};

template <class In>
void find_bad_label_as(cudaStream_t s, const void* labels, int64_t n, int64_t classes, int64_t* bad_row,
                       double* bad_value) {
  const auto* v = static_cast<const typename In::type*>(labels);
  auto* row = reinterpret_cast<unsigned long long*>(bad_row);
  each(s, 1, "check_class_labels", [=] __device__(int64_t) {
    *bad_row = INT64_MAX;
    *bad_value = 0.0;
  });
  each(s, n, "check_class_labels", [=] __device__(int64_t i) {
    if (!kmath::is_class_index(In::get(v[i]), classes)) atomicMin(row, static_cast<unsigned long long>(i));
  });
  each(s, 1, "check_class_labels", [=] __device__(int64_t) {
    if (*bad_row != INT64_MAX) *bad_value = In::get(v[*bad_row]);
  });
}
struct FindBadLabel {
  cudaStream_t s;
  const void* labels;
  int64_t n, classes;
  int64_t* bad_row;
  double* bad_value;
  template <class In>
  void operator()(In) const {
    find_bad_label_as<In>(s, labels, n, classes, bad_row, bad_value);
  }
};
}  // namespace

void convert(cudaStream_t s, const void* src, DType from, void* dst, DType to, int64_t n) {
  with_storage(from, ConvertFrom{s, src, to, dst, n});
}

void find_bad_label(cudaStream_t s, const void* labels, DType dtype, int64_t n, int64_t classes, int64_t* bad_row,
                    double* bad_value) {
  with_storage(dtype, FindBadLabel{s, labels, n, classes, bad_row, bad_value});
}

void gather_rows(cudaStream_t s, const void* src, int64_t src_rows, const int64_t* index, void* dst, int64_t count,
                 int64_t row_bytes) {
  if (row_bytes % 4 == 0) {
    const int64_t words = row_bytes / 4;
    const auto* a = static_cast<const uint32_t*>(src);
    auto* b = static_cast<uint32_t*>(dst);
    each(s, count * words, "gather_rows", [=] __device__(int64_t i) {
      const int64_t row = index[i / words];
      b[i] = row >= 0 && row < src_rows ? a[row * words + i % words] : 0u;
    });
  } else {
    const auto* a = static_cast<const uint8_t*>(src);
    auto* b = static_cast<uint8_t*>(dst);
    each(s, count * row_bytes, "gather_rows", [=] __device__(int64_t i) {
      const int64_t row = index[i / row_bytes];
      b[i] = row >= 0 && row < src_rows ? a[row * row_bytes + i % row_bytes] : uint8_t{0};
    });
  }
}

void pad2d(cudaStream_t s, const float* src, float* dst, int64_t planes, int64_t h, int64_t w, int64_t top,
           int64_t left, int64_t H, int64_t W) {
  each(s, planes * H * W, "pad2d", [=] __device__(int64_t i) {
    const int64_t plane = i / (H * W), y = (i / W) % H - top, x = i % W - left;
    dst[i] = y >= 0 && y < h && x >= 0 && x < w ? src[(plane * h + y) * w + x] : 0.0f;
  });
}

void crop2d(cudaStream_t s, const float* src, float* dst, int64_t planes, int64_t H, int64_t W, int64_t top,
            int64_t left, int64_t h, int64_t w) {
  each(s, planes * h * w, "crop2d", [=] __device__(int64_t i) {
    const int64_t plane = i / (h * w), y = (i / w) % h + top, x = i % w + left;
    dst[i] = src[(plane * H + y) * W + x];
  });
}

// ---------------------------------------------------------------- elementwise

void unary(cudaStream_t s, UnaryOp op, float alpha, const float* x, float* y, int64_t n) {
  each(s, n, "unary", [=] __device__(int64_t i) { y[i] = kmath::unary(op, alpha, x[i]); });
}

void unary_backward(cudaStream_t s, UnaryOp op, float alpha, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n) {
  each(s, n, "unary_backward", [=] __device__(int64_t i) {
    dx[i] = kmath::unary_grad(op, alpha, x ? x[i] : 0.0f, y ? y[i] : 0.0f, dy[i]);
  });
}

namespace {
__device__ __forceinline__ float apply(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return a;
}
}  // namespace

void binary(cudaStream_t s, BinaryOp op, const float* a, const float* b, float* out, int64_t n,
            const BroadcastIndex& index, bool a_scalar, bool b_scalar, bool same_shape) {
  if (same_shape) {
    each(s, n, "binary", [=] __device__(int64_t i) { out[i] = apply(op, a[i], b[i]); });
  } else if (a_scalar) {
    each(s, n, "binary", [=] __device__(int64_t i) { out[i] = apply(op, a[0], b[i]); });
  } else if (b_scalar) {
    each(s, n, "binary", [=] __device__(int64_t i) { out[i] = apply(op, a[i], b[0]); });
  } else {
    const BroadcastIndex ix = index;
    each(s, n, "binary", [=] __device__(int64_t i) {
      int64_t rem = i, ia = 0, ib = 0;
      for (int d = ix.rank - 1; d >= 0; --d) {
        const int64_t coord = rem % ix.out_dims[d];
        rem /= ix.out_dims[d];
        ia += coord * ix.a_strides[d];
        ib += coord * ix.b_strides[d];
      }
      out[i] = apply(op, a[ia], b[ib]);
    });
  }
}

void reduce(cudaStream_t s, const float* src, float* dst, int64_t dst_count, const ReduceIndex& index) {
  if (dst_count <= 0) return;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>(dst_count, int64_t{1} << 20));
  if (index.reduced_count >= 1024) {
    reduce_kernel<kThreads><<<blocks, kThreads, 0, s>>>(src, dst, dst_count, index);
  } else {
    reduce_kernel<kWarp><<<blocks, kWarp, 0, s>>>(src, dst, dst_count, index);
  }
  check_launch("reduce_to_shape");
}

void bias_activation(cudaStream_t s, float* y, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                     Epilogue act) {
  if (!bias && act == Epilogue::None) return;
  each(s, outer * channels * inner, "bias_activation", [=] __device__(int64_t i) {
    const float b = bias ? bias[(i / inner) % channels] : 0.0f;
    y[i] = kmath::epilogue(act, y[i] + b);
  });
}

void bias_activation_backward(cudaStream_t s, const float* y, const float* dy, float* dz, float* db, int64_t outer,
                              int64_t channels, int64_t inner, Epilogue act) {
  const int64_t n = outer * channels * inner;
  if (act != Epilogue::None) {
    if (!dz) throw std::invalid_argument("bias_activation_backward: an activation's gradient needs dz");
    each(s, n, "bias_activation_backward", [=] __device__(int64_t i) { dz[i] = kmath::epilogue_grad(act, y[i], dy[i]); });
  } else if (dz && dz != dy && n > 0) {
    check(cudaMemcpyAsync(dz, dy, static_cast<size_t>(n) * sizeof(float), cudaMemcpyDeviceToDevice, s),
          "cudaMemcpyAsync(bias_activation_backward)");
  }
  if (!db || channels <= 0) return;
  const float* g = act == Epilogue::None ? dy : dz;
  channel_sum_kernel<<<static_cast<unsigned>(channels), kThreads, 0, s>>>(g, db, outer, channels, inner);
  check_launch("bias_activation_backward");
}

void sum(cudaStream_t s, const float* x, float* out, int64_t n) {
  sum_kernel<<<1, 1024, 0, s>>>(x, out, n);
  check_launch("sum");
}

void argmax(cudaStream_t s, const float* x, int64_t* out, int64_t outer, int64_t n, int64_t inner) {
  each(s, outer * inner, "argmax", [=] __device__(int64_t oi) {
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
  });
}

void clip(cudaStream_t s, const float* x, float* y, int64_t n, float lo, float hi) {
  each(s, n, "clip", [=] __device__(int64_t i) { y[i] = fminf(fmaxf(x[i], lo), hi); });
}

void clip_backward(cudaStream_t s, const float* x, const float* dy, float* dx, int64_t n, float lo, float hi) {
  each(s, n, "clip_backward", [=] __device__(int64_t i) { dx[i] = (x[i] > lo && x[i] < hi) ? dy[i] : 0.0f; });
}

void one_hot(cudaStream_t s, const int64_t* labels, float* out, int64_t rows, int64_t cols) {
  each(s, rows * cols, "one_hot", [=] __device__(int64_t i) { out[i] = labels[i / cols] == i % cols ? 1.0f : 0.0f; });
}

// ---------------------------------------------------------------- softmax family

void softmax_cross_entropy(cudaStream_t s, const float* logits, const float* targets, const int64_t* labels,
                           float* probs, float* loss, int64_t rows, int64_t cols) {
  if (rows <= 0) return;
  xent_kernel<<<grid_for(rows, kRowsPerBlock), kThreads, 0, s>>>(logits, targets, labels, probs, loss, rows, cols);
  check_launch("softmax_cross_entropy");
}

void softmax_cross_entropy_backward(cudaStream_t s, const float* probs, const float* targets,
                                    const int64_t* labels, const float* scale, float* dlogits, int64_t rows,
                                    int64_t cols) {
  each(s, rows * cols, "softmax_cross_entropy_backward", [=] __device__(int64_t i) {
    const int64_t r = i / cols, j = i % cols;
    const float t = labels ? (j == labels[r] ? 1.0f : 0.0f) : targets[i];
    dlogits[i] = scale[0] * (probs[i] - t);
  });
}

}  // namespace nn::detail::cuda
