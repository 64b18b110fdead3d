#pragma once
// Convolutions through cuDNN. A layer's KernelPlan holds its descriptors and, per batch size and
// precision, the algorithms for the forward pass and both backward passes with their workspace
// sizes: chosen by cuDNN's heuristics, or, with nn::cuda::cudnn_benchmark(), by timing every
// algorithm once on the layer's real buffers (torch.backends.cudnn.benchmark). A bias and ReLU join
// the forward pass (cudnnConvolutionBiasActivationForward); other activations and the bias gradient
// are nn's kernels. TF32 follows nn::cuda::allow_tf32_convolutions(); inside an
// Autocast(kBFloat16) scope the convolutions run on bfloat16 copies of their operands with float32
// accumulation, and, since cuDNN's legacy API writes in its inputs' type, their outputs and
// gradients are rounded to bfloat16 before they return to float32 (as PyTorch's autocast leaves a
// convolution's output in bfloat16). Padding that differs between sides ('same' with an even kernel) is applied by a kernel
// first, since cuDNN's descriptors pad symmetrically.
#include <cudnn.h>

#include <memory>
#include <mutex>

#include "nn/backend/backend.hpp"

namespace nn::detail::cuda {

class CudaBackend;

class ConvEngine {
 public:
  explicit ConvEngine(CudaBackend& backend);
  ~ConvEngine();
  ConvEngine(const ConvEngine&) = delete;
  ConvEngine& operator=(const ConvEngine&) = delete;

  std::shared_ptr<KernelPlan> plan(const Conv2DParams& p);
  void forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* bias,
               Epilogue act, float* y);
  void backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* y,
                const float* dy, Epilogue act, float* dx, float* dw, float* db);

 private:
  CudaBackend& backend_;
  std::mutex mutex_;  // the handle (cuDNN handles are not for concurrent use) and the plans' tables
  cudnnHandle_t handle_ = nullptr;
};

}  // namespace nn::detail::cuda
