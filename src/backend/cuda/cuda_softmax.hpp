#pragma once
// Softmax and log-softmax over the last axis through cuDNN (cudnnSoftmaxForward/Backward, the
// accurate algorithm: the row's maximum subtracted first). The fused softmax cross-entropy, which
// writes the probabilities and the loss in one pass, is nn's own kernel.
#include <cudnn.h>

#include <cstdint>
#include <mutex>

namespace nn::detail::cuda {

class SoftmaxEngine {
 public:
  SoftmaxEngine();
  ~SoftmaxEngine();
  SoftmaxEngine(const SoftmaxEngine&) = delete;
  SoftmaxEngine& operator=(const SoftmaxEngine&) = delete;

  // y(rows, cols) = softmax(x) or log_softmax(x); dx from y and dy.
  void forward(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, bool log);
  void backward(cudaStream_t s, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool log);

 private:
  void prepare(cudaStream_t s, int64_t rows, int64_t cols);
  static int64_t chunk_rows(int64_t cols);
  std::mutex mutex_;  // the handle and the descriptor
  cudnnHandle_t handle_ = nullptr;
  cudnnTensorDescriptor_t desc_ = nullptr;
};

}  // namespace nn::detail::cuda
