#include "cuda_softmax.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

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

// cuDNN's descriptors count in int: the rows go in chunks of under 2^31 elements.
int64_t SoftmaxEngine::chunk_rows(int64_t cols) {
  constexpr int64_t kMax = (int64_t{1} << 31) - 1;
  if (cols > kMax) throw std::invalid_argument("softmax on cuda: rows of " + std::to_string(cols) + " values are too long");
  return std::max<int64_t>(1, kMax / cols);
}

void SoftmaxEngine::forward(cudaStream_t s, const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  if (rows <= 0 || cols <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const float one = 1.0f, zero = 0.0f;
  for (int64_t r = 0, step = chunk_rows(cols); r < rows; r += step) {
    prepare(s, std::min(step, rows - r), cols);
    NN_DNN_CHECK(cudnnSoftmaxForward(handle_, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                     CUDNN_SOFTMAX_MODE_INSTANCE, &one, desc_, x + r * cols, &zero, desc_, y + r * cols));
  }
}

void SoftmaxEngine::backward(cudaStream_t s, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols,
                             bool log) {
  if (rows <= 0 || cols <= 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const float one = 1.0f, zero = 0.0f;
  for (int64_t r = 0, step = chunk_rows(cols); r < rows; r += step) {
    prepare(s, std::min(step, rows - r), cols);
    NN_DNN_CHECK(cudnnSoftmaxBackward(handle_, log ? CUDNN_SOFTMAX_LOG : CUDNN_SOFTMAX_ACCURATE,
                                      CUDNN_SOFTMAX_MODE_INSTANCE, &one, desc_, y + r * cols, desc_, dy + r * cols,
                                      &zero, desc_, dx + r * cols));
  }
}

}  // namespace nn::detail::cuda
