#pragma once
// The CPU backend: OpenBLAS for GEMM, the thread pool for everything data-parallel.
#include <map>
#include <mutex>
#include <vector>

#include "nn/backend/backend.hpp"

namespace nn::detail {

// Size-bucketed cache of 64-byte-aligned host blocks. Blocks freed by tensors return here and
// are handed out again for the same size, so a training loop that repeats its shapes stops
// allocating after its first step. Each thread keeps a small cache of its own in front of the
// shared pool, so threads that allocate per element (input pipelines) do not contend on its
// lock; a thread's cache goes back to the pool when the thread ends.
// The process's allocator lives for the whole process (tensors in static objects may be freed
// after main returns), so blocks are released to it without reference counting.
class HostAllocator {
 public:
  static HostAllocator& instance();
  float* acquire(int64_t count);
  void release(float* p, int64_t count);
  void trim();  // frees the shared pool and the calling thread's cache

  // Called by a thread's cache: blocks it no longer keeps go to the shared pool.
  void release_shared(float* p, int64_t count);

 private:
  HostAllocator() = default;
  std::mutex mutex_;
  std::map<int64_t, std::vector<float*>> free_;
  int64_t cached_floats_ = 0;
};

class CpuBackend final : public Backend {
 public:
  CpuBackend();
  Device device() const override { return Device::cpu(); }
  std::string name() const override;

  std::shared_ptr<float> allocate(int64_t count) override;
  void release_cached() override;
  void copy(const float* src, float* dst, int64_t n) override;
  void copy_to_host(const float* src, float* dst, int64_t n) override { copy(src, dst, n); }
  void copy_from_host(const float* src, float* dst, int64_t n) override { copy(src, dst, n); }
  void fill(float* y, float value, int64_t n) override;

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
  void add_bias(float* y, const float* bias, int64_t outer, int64_t channels,
                int64_t inner) override;
  void bias_backward(const float* dy, float* db, int64_t outer, int64_t channels, int64_t inner) override;
  void sum(const float* x, float* out, int64_t n) override;
  void permute(const float* x, const Shape& x_shape, const std::vector<int>& axes, float* y) override;
  void argmax(const float* x, float* out, int64_t outer, int64_t n, int64_t inner) override;
  void top_k(const float* x, float* values, float* indices, int64_t rows, int64_t cols, int64_t k) override;
  void clip(const float* x, float* y, int64_t n, float lo, float hi) override;
  void clip_backward(const float* x, const float* dy, float* dx, int64_t n, float lo, float hi) override;
  void one_hot(const float* labels, float* out, int64_t rows, int64_t cols) override;

  void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) override;
  void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols,
                        bool log) override;
  void softmax_cross_entropy(const float* logits, const float* targets, bool sparse,
                             float* probs, float* loss, int64_t rows, int64_t cols) override;
  void softmax_cross_entropy_backward(const float* probs, const float* targets, bool sparse,
                                      const float* scale, float* dlogits, int64_t rows,
                                      int64_t cols) override;

  void conv2d_forward(const Conv2DParams& p, const float* x, const float* w, const float* bias,
                      float* y) override;
  void conv2d_backward(const Conv2DParams& p, const float* x, const float* w, const float* dy,
                       float* dx, float* dw, float* db) override;
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
  void count_correct(const float* scores, const float* targets, bool sparse, float* out,
                     int64_t rows, int64_t cols) override;
  void sgd_update(const SgdParams& p, float* w, const float* g, float* velocity,
                  int64_t n) override;
  void adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v,
                   int64_t n) override;
  void rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g, float* mom,
                      int64_t n) override;
  void adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) override;

 private:
  HostAllocator& allocator_;
};

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
