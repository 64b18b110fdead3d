#pragma once
// The strict test device (Device::test()): the CPU backend's kernels, run on memory that nn's host
// code may not touch (Tensor::data() throws there; only this backend's copies cross; and the pages
// are inaccessible except while this backend works in them, test_memory.hpp), with streams
// that count work as done only when the host waits (test_stream.hpp), a stream-ordered caching
// allocator that poisons freed blocks with NaN and delays their reuse as a GPU's would, and none of
// the optional kernels, so the ops' host fallback (backend/fallback.hpp) runs as it would for a
// backend that declines them. A bad label is raised at the next synchronization, as a GPU's
// device-side check would raise it. Model-level tests run on it (ctest label test-device) and must give
// results bit-identical to the CPU device's: what passes here does not lean on host memory.
#include <memory>
#include <vector>

#include "../cpu/cpu_backend.hpp"
#include "../stream_allocator.hpp"
#include "test_stream.hpp"

namespace nn::detail {

class TestBackend : public CpuBackend {
 public:
  TestBackend();
  Device device() const override { return Device::test(); }
  std::string name() const override { return "test (CPU kernels on memory the host may not read)"; }
  bool supports(Kernel) const override { return false; }

  std::shared_ptr<float> allocate(int64_t count) override { return allocator_.allocate(count); }
  void release_cached() override { allocator_.release_cached(); }
  MemoryStats memory_stats() const override { return allocator_.stats(); }
  // Copies to the host wait for the current stream first, as a device-to-host copy does.
  void copy_bytes_to_host(const void* src, void* dst, size_t n) override;
  void copy_to_host(const float* src, float* dst, int64_t n) override;

  // Recorded on the device's error flag, raised at the next synchronization.
  void check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                          const std::string& what) override;

  // Every kernel and copy: the CPU's, with the device's memory open while it runs (test_kernels.cpp).
  void copy_bytes(const void* src, void* dst, size_t n) override;
  void copy_bytes_from_host(const void* src, void* dst, size_t n) override;
  void copy(const float* src, float* dst, int64_t n) override;
  void copy_from_host(const float* src, float* dst, int64_t n) override;
  void fill(float* y, float value, int64_t n) override;
  void convert(const void* src, DType from, void* dst, DType to, int64_t n) override;
  void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) override;
  void axpy(int64_t n, float alpha, const float* x, float* y) override;
  void scale(int64_t n, float alpha, const float* x, float* y) override;
  void unary(UnaryOp op, float alpha, const float* x, float* y, int64_t n) override;
  void unary_backward(UnaryOp op, float alpha, const float* x, const float* y, const float* dy, float* dx, int64_t n) override;
  void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* out, const Shape& out_shape) override;
  void reduce_to_shape(const float* src, const Shape& src_shape, float* dst, const Shape& dst_shape) override;
  void bias_activation(float* y, const float* bias, int64_t outer, int64_t channels, int64_t inner, Epilogue act) override;
  void bias_activation_backward(const float* y, const float* dy, float* dz, float* db, int64_t outer, int64_t channels, int64_t inner, Epilogue act) override;
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
  void softmax_cross_entropy(const float* logits, const float* targets, const int64_t* labels, float* probs, float* loss, int64_t rows, int64_t cols) override;
  void softmax_cross_entropy_backward(const float* probs, const float* targets, const int64_t* labels, const float* scale, float* dlogits, int64_t rows, int64_t cols) override;
  void conv2d_forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* bias, Epilogue act, float* y) override;
  void conv2d_backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* y, const float* dy, Epilogue act, float* dx, float* dw, float* db) override;
  void max_pool2d_forward(const Pool2DParams& p, const float* x, float* y, int32_t* argmax) override;
  void max_pool2d_backward(const Pool2DParams& p, const float* dy, const int32_t* argmax, float* dx) override;
  void avg_pool2d_forward(const Pool2DParams& p, const float* x, float* y) override;
  void avg_pool2d_backward(const Pool2DParams& p, const float* dy, float* dx) override;
  void batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner, float epsilon) override;
  void batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean, const float* var, float* y, float* inv_std, int64_t outer, int64_t channels, int64_t inner, float epsilon) override;
  void batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* inv_std, const float* dy, float* dx, float* dgamma, float* dbeta, int64_t outer, int64_t channels, int64_t inner, bool batch_stats) override;
  void dropout(const float* x, float* y, float* mask, int64_t n, float rate, uint64_t seed, uint64_t offset) override;
  void count_correct(const float* scores, const float* targets, const int64_t* labels, int64_t* total, int64_t rows, int64_t cols, int64_t k) override;
  void sgd_update(const SgdParams& p, float* w, const float* g, float* velocity, int64_t n) override;
  void adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v, int64_t n) override;
  void rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g, float* mom, int64_t n) override;
  void adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) override;

  StreamPtr default_stream() override { return default_stream_; }
  StreamPtr new_stream() override;
  void synchronize() override;

 private:
  std::shared_ptr<DeviceError> error_ = std::make_shared<DeviceError>();
  std::mutex streams_mutex_;
  std::vector<std::weak_ptr<Stream>> streams_;
  StreamPtr default_stream_;
  StreamAllocator allocator_;
};

}  // namespace nn::detail
