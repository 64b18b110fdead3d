#pragma once
// The CPU backend: OpenBLAS for GEMM, the thread pool for everything data-parallel.
#include <memory>
#include <string>
#include <vector>

#include "../sync_stream.hpp"
#include "cpu_allocator.hpp"
#include "nn/backend/backend.hpp"

namespace nn::detail {

// Elements per task for cheap elementwise loops (smaller ones run on the calling thread).
inline constexpr int64_t kGrain = 16384;

class CpuBackend : public Backend {
 public:
  CpuBackend();
  Device device() const override { return Device::cpu(); }
  std::string name() const override;

  std::shared_ptr<float> allocate(int64_t count) override;
  void release_cached() override;
  MemoryStats memory_stats() const override { return allocator_.stats(); }
  void copy_bytes(const void* src, void* dst, size_t n) override;
  void copy_bytes_to_host(const void* src, void* dst, size_t n) override { copy_bytes(src, dst, n); }
  void copy_bytes_from_host(const void* src, void* dst, size_t n) override { copy_bytes(src, dst, n); }
  void copy(const float* src, float* dst, int64_t n) override;
  void copy_to_host(const float* src, float* dst, int64_t n) override { copy(src, dst, n); }
  void copy_from_host(const float* src, float* dst, int64_t n) override { copy(src, dst, n); }
  void fill(float* y, float value, int64_t n) override;

  void convert(const void* src, DType from, void* dst, DType to, int64_t n) override;
  void check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                          const std::string& what) override;

  // The CPU's streams are synchronous (sync_stream.hpp): work is done when its call returns.
  StreamPtr default_stream() override { return default_stream_; }
  StreamPtr new_stream() override;
  void synchronize() override {}

  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
            int64_t ldc) override;
  void axpy(int64_t n, float alpha, const float* x, float* y) override;
  void scale(int64_t n, float alpha, const float* x, float* y) override;

  void unary(UnaryOp op, float alpha, const float* x, float* y, int64_t n) override;
  void unary_backward(UnaryOp op, float alpha, const float* x, const float* y, const float* dy, float* dx,
                      int64_t n) override;
  void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
              const Shape& b_shape, float* out, const Shape& out_shape) override;
  void reduce_to_shape(const float* src, const Shape& src_shape, float* dst,
                       const Shape& dst_shape) override;
  void bias_activation(float* y, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                       Epilogue act) override;
  void bias_activation_backward(const float* y, const float* dy, float* dz, float* db, int64_t outer,
                                int64_t channels, int64_t inner, Epilogue act) override;
  void sum(const float* x, float* out, int64_t n) override;
  void permute(const float* x, const Shape& x_shape, const std::vector<int>& axes, float* y) override;
  void argmax(const float* x, int64_t* out, int64_t outer, int64_t n, int64_t inner) override;
  void top_k(const float* x, float* values, int64_t* indices, int64_t rows, int64_t cols, int64_t k) override;
  void gather_rows(const void* src, int64_t src_rows, const int64_t* index, void* dst, int64_t count, int64_t row_bytes) override;
  void clip(const float* x, float* y, int64_t n, float lo, float hi) override;
  void clip_backward(const float* x, const float* dy, float* dx, int64_t n, float lo, float hi) override;
  void one_hot(const int64_t* labels, float* out, int64_t rows, int64_t cols) override;

  void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) override;
  void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols,
                        bool log) override;
  void softmax_cross_entropy(const float* logits, const float* targets, const int64_t* labels, float* probs,
                             float* loss, int64_t rows, int64_t cols) override;
  void softmax_cross_entropy_backward(const float* probs, const float* targets, const int64_t* labels,
                                      const float* scale, float* dlogits, int64_t rows, int64_t cols) override;

  std::shared_ptr<KernelPlan> plan_conv2d(const Conv2DParams& p) override;
  void conv2d_forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                      const float* bias, Epilogue act, float* y) override;
  void conv2d_backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                       const float* y, const float* dy, Epilogue act, float* dx, float* dw,
                       float* db) override;
  void max_pool2d_forward(const Pool2DParams& p, const float* x, float* y,
                          int32_t* argmax) override;
  void max_pool2d_backward(const Pool2DParams& p, const float* dy, const int32_t* argmax,
                           float* dx) override;
  void avg_pool2d_forward(const Pool2DParams& p, const float* x, float* y) override;
  void avg_pool2d_backward(const Pool2DParams& p, const float* dy, float* dx) override;

  void batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                          float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner,
                          float epsilon) override;
  void batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                            const float* var, float* y, float* inv_std, int64_t outer, int64_t channels,
                            int64_t inner, float epsilon) override;
  void batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* inv_std,
                           const float* dy, float* dx, float* dgamma, float* dbeta, int64_t outer,
                           int64_t channels, int64_t inner, bool batch_stats) override;

  void dropout(const float* x, float* y, float* mask, int64_t n, float rate, uint64_t seed,
               uint64_t offset) override;
  void count_correct(const float* scores, const float* targets, const int64_t* labels, int64_t* total, int64_t rows,
                     int64_t cols, int64_t k) override;
  void sgd_update(const SgdParams& p, float* w, const float* g, float* velocity,
                  int64_t n) override;
  void adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v,
                   int64_t n) override;
  void rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g, float* mom,
                      int64_t n) override;
  void adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) override;

 private:
  HostAllocator& allocator_;
  StreamPtr default_stream_ = std::make_shared<SyncStream>(Device::cpu());
};

// ---- bias and activation on one image's output, serially, for use inside a task (cpu_bias.cpp) ----
// y(channels, inner) = act(y + bias); bias may be null.
void bias_activation_serial(float* y, const float* bias, int64_t channels, int64_t inner, Epilogue act);
// dz(channels, inner) = dy act'(y) (dz may be null: only db wanted; y unread with act None);
// db(channels) += the sums of dz's rows when db is not null.
void bias_activation_backward_serial(const float* y, const float* dy, float* dz, float* db, int64_t channels,
                                     int64_t inner, Epilogue act);

// ---- convolution (cpu_conv.cpp) ----
// Who runs a CPU convolution: oneDNN (where built in, for the directions it takes) or im2col.
enum class ConvProvider { Onednn, Im2col };
// NN_CONV: unset or `onednn` -> Onednn, `im2col` -> Im2col; anything else throws.
ConvProvider conv_provider_from_env();
// CpuBackend::plan_conv2d with the provider chosen (tests and benchmarks compare the two).
std::shared_ptr<KernelPlan> make_cpu_conv_plan(const Conv2DParams& p, ConvProvider provider);

// ---- pooling (cpu_pool.cpp) ----
// One output row of a 2x2, stride-2 max pool: r0 and r1 = r0 + w are the input rows, base the
// flat index of r0[0] in its plane; writes ow values and their argmax.
using MaxPoolRowFn = void (*)(const float* r0, int64_t w, float* out, int32_t* arg, int64_t ow, int32_t base);
// Its gradient: the input rows d0 and d0 + w (all w columns) get g(ow) at the argmax, 0 elsewhere.
using MaxPoolBackwardRowFn = void (*)(const float* g, const int32_t* arg, float* d0, int64_t w, int64_t ow,
                                      int32_t base);
// The same over whole planes [b, e) of (h, w) -> (oh, ow) (what the backend calls).
struct PlaneSize {
  int64_t h, w, oh, ow;
};
using MaxPoolPlanesFn = void (*)(const float* x, float* y, int32_t* arg, int64_t b, int64_t e, const PlaneSize& s);
using MaxPoolBackwardPlanesFn = void (*)(const float* dy, const int32_t* arg, float* dx, int64_t b, int64_t e,
                                         const PlaneSize& s);
struct MaxPoolRowKernel {
  const char* name;
  MaxPoolRowFn forward;
  MaxPoolBackwardRowFn backward;
  MaxPoolPlanesFn forward_planes;
  MaxPoolBackwardPlanesFn backward_planes;
};
// Every such kernel this CPU can run, the one max_pool2d_forward uses first (tests run them all).
std::vector<MaxPoolRowKernel> max_pool_2x2_row_kernels();

// ---- OpenBLAS glue (cpu_gemm.cpp) ----
// Loads OpenBLAS's fastest kernels for this CPU (see cpu_gemm.cpp) and pins it to one thread.
void init_blas();
std::string blas_core_name();
// Single-threaded row-major sgemm on the calling thread.
void sgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc);
// sgemm split across the thread pool.
void sgemm_parallel(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                    float* c, int64_t ldc);

}  // namespace nn::detail
