#pragma once
// nn's own CUDA kernels (cuda_kernels.cu), queued on stream `s`: everything the CUDA backend does
// not hand to cuDNN or cuBLASLt. Arguments and semantics are those of the Backend kernel of the same
// name (nn/backend/backend.hpp); the per-element arithmetic is kernel_math.hpp's. Pointers are
// device pointers. Each throws CudaError when its launch fails.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "nn/backend/backend.hpp"

namespace nn::detail::cuda {

// Up to this many dimensions in the broadcasting kernels (nn's tensors have at most 8).
inline constexpr int kMaxDims = 8;

// Where an element of a broadcast operand lives: out's dims and each operand's strides (0 where
// the operand is broadcast along a dim), aligned to out's rank.
struct BroadcastIndex {
  int rank = 0;
  int64_t out_dims[kMaxDims] = {};
  int64_t a_strides[kMaxDims] = {};
  int64_t b_strides[kMaxDims] = {};
};
// A reduction of src onto dst: dst's element j sums the src elements at kept(j) + reduced(r) for r
// in [0, reduced_count), each offset decomposed over its own dims and src strides.
struct ReduceIndex {
  int kept_rank = 0, reduced_rank = 0;
  int64_t kept_dims[kMaxDims] = {}, kept_strides[kMaxDims] = {};
  int64_t reduced_dims[kMaxDims] = {}, reduced_strides[kMaxDims] = {};
  int64_t reduced_count = 1;
};

void fill(cudaStream_t s, float* y, float value, int64_t n);
void axpy(cudaStream_t s, int64_t n, float alpha, const float* x, float* y);
void scale(cudaStream_t s, int64_t n, float alpha, const float* x, float* y);
void convert(cudaStream_t s, const void* src, DType from, void* dst, DType to, int64_t n);
// Writes into *bad_row (device memory) the first row whose label is not a class index, INT64_MAX
// when there is none, and that label's value into *bad_value.
void find_bad_label(cudaStream_t s, const void* labels, DType dtype, int64_t n, int64_t classes,
                    int64_t* bad_row, double* bad_value);

void unary(cudaStream_t s, UnaryOp op, float alpha, const float* x, float* y, int64_t n);
void unary_backward(cudaStream_t s, UnaryOp op, float alpha, const float* x, const float* y, const float* dy,
                    float* dx, int64_t n);
void binary(cudaStream_t s, BinaryOp op, const float* a, const float* b, float* out, int64_t n,
            const BroadcastIndex& index, bool a_scalar, bool b_scalar, bool same_shape);
void reduce(cudaStream_t s, const float* src, float* dst, int64_t dst_count, const ReduceIndex& index);
void bias_activation(cudaStream_t s, float* y, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                     Epilogue act);
void bias_activation_backward(cudaStream_t s, const float* y, const float* dy, float* dz, float* db, int64_t outer,
                              int64_t channels, int64_t inner, Epilogue act);
void sum(cudaStream_t s, const float* x, float* out, int64_t n);
void argmax(cudaStream_t s, const float* x, int64_t* out, int64_t outer, int64_t n, int64_t inner);
void clip(cudaStream_t s, const float* x, float* y, int64_t n, float lo, float hi);
void clip_backward(cudaStream_t s, const float* x, const float* dy, float* dx, int64_t n, float lo, float hi);
void one_hot(cudaStream_t s, const int64_t* labels, float* out, int64_t rows, int64_t cols);

void softmax_cross_entropy(cudaStream_t s, const float* logits, const float* targets, const int64_t* labels,
                           float* probs, float* loss, int64_t rows, int64_t cols);
void softmax_cross_entropy_backward(cudaStream_t s, const float* probs, const float* targets,
                                    const int64_t* labels, const float* scale, float* dlogits, int64_t rows,
                                    int64_t cols);

void max_pool2d_forward(cudaStream_t s, const Pool2DParams& p, const float* x, float* y, int32_t* argmax);
void max_pool2d_backward(cudaStream_t s, const Pool2DParams& p, const float* dy, const int32_t* argmax, float* dx);
void avg_pool2d_forward(cudaStream_t s, const Pool2DParams& p, const float* x, float* y);
void avg_pool2d_backward(cudaStream_t s, const Pool2DParams& p, const float* dy, float* dx);

void batch_norm_forward(cudaStream_t s, const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner,
                        float epsilon);
void batch_norm_inference(cudaStream_t s, const float* x, const float* gamma, const float* beta, const float* mean,
                          const float* var, float* y, float* inv_std, int64_t outer, int64_t channels,
                          int64_t inner, float epsilon);
void batch_norm_backward(cudaStream_t s, const float* x, const float* gamma, const float* mean,
                         const float* inv_std, const float* dy, float* dx, float* dgamma, float* dbeta,
                         int64_t outer, int64_t channels, int64_t inner, bool batch_stats);

void dropout(cudaStream_t s, const float* x, float* y, float* mask, int64_t n, float rate, uint64_t seed,
             uint64_t offset);
void count_correct(cudaStream_t s, const float* scores, const float* targets, const int64_t* labels,
                   int64_t* total, int64_t rows, int64_t cols, int64_t k);

void sgd_update(cudaStream_t s, const SgdParams& p, float* w, const float* g, float* velocity, int64_t n);
void adam_update(cudaStream_t s, const AdamParams& p, float* w, const float* g, float* m, float* v, int64_t n);
void rmsprop_update(cudaStream_t s, const RmspropParams& p, float* w, const float* g, float* v, float* avg_g,
                    float* mom, int64_t n);
void adagrad_update(cudaStream_t s, const AdagradParams& p, float* w, const float* g, float* acc, int64_t n);

// dst(planes, H, W) = src(planes, h, w) placed at (top, left) with zeros around it (a convolution's
// asymmetric padding, which cuDNN's descriptors cannot express), and the inverse: the (h, w) window at
// (top, left) of each (H, W) plane.
void pad2d(cudaStream_t s, const float* src, float* dst, int64_t planes, int64_t h, int64_t w, int64_t top,
           int64_t left, int64_t H, int64_t W);
void crop2d(cudaStream_t s, const float* src, float* dst, int64_t planes, int64_t H, int64_t W, int64_t top,
            int64_t left, int64_t h, int64_t w);

// rows(count, row_floats) of src gathered by index into dst: dst row i = src row index[i] (the
// dataset kept on the device: a shuffled batch taken without a copy from the host).
void gather_rows(cudaStream_t s, const void* src, int64_t src_rows, const int64_t* index, void* dst, int64_t count,
                 int64_t row_bytes);

}  // namespace nn::detail::cuda
