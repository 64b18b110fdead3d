#pragma once
// The CUDA backend (NN_WITH_CUDA): one per GPU. Convolutions and softmax through cuDNN
// (cuda_conv.cpp, cuda_softmax.cpp), matrix products through cuBLASLt with the bias and activation
// as its epilogue (cuda_gemm.cpp), nn's own kernels for the rest (cuda_kernels.cu): pooling with its
// argmax (backward as a gather from it), the 21 activations, batch normalization, the fused
// cross-entropy, the optimizers. Memory from a stream-ordered caching allocator over cudaMalloc,
// page-locked staging memory for copies from the host, CUDA streams and events as nn's streams
// (cuda_stream.hpp). Kernels never throw on the device: a bad label is found by a kernel, its
// verdict copied to page-locked memory, and raised by the host at its next wait on that stream.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../stream_allocator.hpp"
#include "cuda_stream.hpp"
#include "nn/backend/backend.hpp"

namespace nn::detail::cuda {

class GemmEngine;  // cuda_gemm.cpp
class ConvEngine;  // cuda_conv.cpp
class SoftmaxEngine;  // cuda_softmax.cpp

class CudaBackend : public Backend {
 public:
  explicit CudaBackend(int index);
  ~CudaBackend() override;
  Device device() const override { return Device::cuda(index_); }
  std::string name() const override { return name_; }
  // top_k and permute run on host copies (rare, small); the rest here.
  bool supports(Kernel kernel) const override {
    return kernel != Kernel::TopK && kernel != Kernel::Permute && kernel != Kernel::ImageTransform;
  }
  bool computes_in(DType dtype) const override { return dtype == kFloat32 || dtype == kBFloat16; }

  std::shared_ptr<float> allocate(int64_t count) override;
  void release_cached() override;
  MemoryStats memory_stats() const override { return allocator_->stats(); }
  void copy_bytes(const void* src, void* dst, size_t n) override;
  void copy_bytes_to_host(const void* src, void* dst, size_t n) override;
  void copy_bytes_from_host(const void* src, void* dst, size_t n) override;
  void copy(const float* src, float* dst, int64_t n) override { copy_bytes(src, dst, bytes(n)); }
  void copy_to_host(const float* src, float* dst, int64_t n) override { copy_bytes_to_host(src, dst, bytes(n)); }
  void copy_from_host(const float* src, float* dst, int64_t n) override { copy_bytes_from_host(src, dst, bytes(n)); }
  void fill(float* y, float value, int64_t n) override;

  StreamPtr default_stream() override { return default_stream_; }
  StreamPtr new_stream() override;
  void synchronize() override;
  std::shared_ptr<void> host_staging(size_t bytes) override;

  void convert(const void* src, DType from, void* dst, DType to, int64_t n) override;
  void check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                          const std::string& what) override;

  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
            const float* b, int64_t ldb, float beta, float* c, int64_t ldc) override;
  void linear(const float* x, const float* w, const float* bias, Epilogue act, float* y, int64_t m, int64_t n,
              int64_t k) override;
  void axpy(int64_t n, float alpha, const float* x, float* y) override;
  void scale(int64_t n, float alpha, const float* x, float* y) override;
  void unary(UnaryOp op, float alpha, const float* x, float* y, int64_t n) override;
  void unary_backward(UnaryOp op, float alpha, const float* x, const float* y, const float* dy, float* dx,
                      int64_t n) override;
  void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* out,
              const Shape& out_shape) override;
  void reduce_to_shape(const float* src, const Shape& src_shape, float* dst, const Shape& dst_shape) override;
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
  void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool log) override;
  void softmax_cross_entropy(const float* logits, const float* targets, const int64_t* labels, float* probs,
                             float* loss, int64_t rows, int64_t cols) override;
  void softmax_cross_entropy_backward(const float* probs, const float* targets, const int64_t* labels,
                                      const float* scale, float* dlogits, int64_t rows, int64_t cols) override;
  std::shared_ptr<KernelPlan> plan_conv2d(const Conv2DParams& p) override;
  void conv2d_forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* bias,
                      Epilogue act, float* y) override;
  void conv2d_backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* y,
                       const float* dy, Epilogue act, float* dx, float* dw, float* db) override;
  void max_pool2d_forward(const Pool2DParams& p, const float* x, float* y, int32_t* argmax) override;
  void max_pool2d_backward(const Pool2DParams& p, const float* dy, const int32_t* argmax, float* dx) override;
  void avg_pool2d_forward(const Pool2DParams& p, const float* x, float* y) override;
  void avg_pool2d_backward(const Pool2DParams& p, const float* dy, float* dx) override;
  void batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var,
                          float* inv_std, int64_t outer, int64_t channels, int64_t inner, float epsilon) override;
  void batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                            const float* var, float* y, float* inv_std, int64_t outer, int64_t channels,
                            int64_t inner, float epsilon) override;
  void batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* inv_std,
                           const float* dy, float* dx, float* dgamma, float* dbeta, int64_t outer, int64_t channels,
                           int64_t inner, bool batch_stats) override;
  void dropout(const float* x, float* y, float* mask, int64_t n, float rate, uint64_t seed,
               uint64_t offset) override;
  void count_correct(const float* scores, const float* targets, const int64_t* labels, int64_t* total, int64_t rows,
                     int64_t cols, int64_t k) override;
  void sgd_update(const SgdParams& p, float* w, const float* g, float* velocity, int64_t n) override;
  void adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v, int64_t n) override;
  void rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g, float* mom,
                      int64_t n) override;
  void adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) override;

  // For the engines: the current stream's handle (marked as having work), and scratch device memory
  // of `bytes`, released in stream order when the returned block goes.
  cudaStream_t queue();
  std::shared_ptr<float> scratch(size_t bytes) { return allocate(static_cast<int64_t>((bytes + 3) / 4)); }
  int index() const { return index_; }
  // Raises the first error the device's kernels recorded on `waited` (every stream: null), once
  // that work has passed (a bad label).
  void raise_recorded_errors(const Stream* waited);

 private:
  static size_t bytes(int64_t n) { return static_cast<size_t>(n) * sizeof(float); }
  // Waits for every stream of the device, marking their positions passed; raises nothing.
  void wait_device();
  void activate() const;

  // A label check in flight: its verdict is copied to a page-locked slot the host reads after a wait.
  struct Slot {
    int64_t bad_row;  // the first bad row, INT64_MAX for none
    double bad_value;
  };
  struct LabelCheck {
    Slot* slot;
    int64_t* bad_row;
    double* bad_value;
    int64_t classes;
    std::string what;
    const Stream* stream;  // where it was queued: a wait there raises it
    Event done;
  };
  void reclaim_checks();  // under checks_mutex_: clean verdicts that have landed free their slots
  static bool landed(const LabelCheck& c, std::exception_ptr& fault);

  int index_;
  std::string name_;
  std::shared_ptr<CudaStream> default_stream_;
  std::mutex streams_mutex_;
  std::vector<std::weak_ptr<CudaStream>> streams_;  // made by new_stream()
  std::unique_ptr<StreamAllocator> allocator_;
  std::unique_ptr<GemmEngine> gemm_;
  std::unique_ptr<ConvEngine> conv_;
  std::unique_ptr<SoftmaxEngine> softmax_;

  std::mutex checks_mutex_;
  std::vector<LabelCheck> checks_;
  std::vector<Slot*> free_slots_;  // page-locked

  std::mutex staging_mutex_;
  std::map<size_t, std::vector<void*>> staging_free_;  // page-locked host blocks by size

  // Small uploads from pageable memory, staged in page-locked memory until their copy has run.
  struct Upload {
    std::shared_ptr<void> staging;
    Event copied;
  };
  std::mutex uploads_mutex_;
  std::vector<Upload> uploads_;  // after staging_free_: destroyed first, returning their blocks
};

// The number of CUDA devices (0 without a driver or a GPU) and why there are none, probed once.
int probe_device_count();
std::string probe_failure();
// The backend of GPU `index` (made on first use; index < probe_device_count()).
CudaBackend& cuda_backend(int index);

}  // namespace nn::detail::cuda
