#include "cuda_softmax.hpp"

#include <fmt/format.h>

#include "cuda_check.hpp"

namespace nn::detail::cuda {
namespace {
void check_dnn(cudnnStatus_t s, const char* call) {
  if (s != CUDNN_STATUS_SUCCESS) throw CudaError(fmt::format("cudnn: {}: {}", call, cudnnGetErrorString(s)));
}
#define NN_DNN_CHECK(call) check_dnn((call), #call)

}  // namespace

// Under mutex_: the handle on stream s, and (rows, cols) as cuDNN's (N, C, 1, 1), the softmax of
// each of N instances over its C values.
void SoftmaxEngine::prepare(cudaStream_t s, int64_t rows, int64_t cols) {
  NN_DNN_CHECK(cudnnSetStream(handle_, s));
  NN_DNN_CHECK(cudnnSetTensor4dDescriptor(desc_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, static_cast<int>(rows),
                                          static_cast<int>(cols), 1, 1));
}

SoftmaxEngine::SoftmaxEngine() {
  NN_DNN_CHECK(cudnnCreate(&handle_));
  NN_DNN_CHECK(cudnnCreateTensorDescriptor(&desc_));
}

SoftmaxEngine::~SoftmaxEngine() {
  if (desc_) cudnnDestroyTensorDescriptor(desc_);
  if (handle_) cudnnDestroy(handle_);
}

void SoftmaxEngine::forward(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (rows <= 0 || cols <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  prepare(s, rows, cols);
  const float one = 1.0f, zero = 0.0f;
  NN_DNN_CHECK(cudnnSoftmaxForward(handle_, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                   CUDNN_SOFTMAX_MODE_INSTANCE, &one, desc_, x, &zero, desc_, y));
}

void SoftmaxEngine::backward(cudaStream_t s, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols,
                             bool log) {
  if (rows <= 0 || cols <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  prepare(s, rows, cols);
  const float one = 1.0f, zero = 0.0f;
  NN_DNN_CHECK(cudnnSoftmaxBackward(handle_, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                    CUDNN_SOFTMAX_MODE_INSTANCE, &one, desc_, y, desc_, dy, &zero, desc_, dx));
}

}  // namespace nn::detail::cuda
