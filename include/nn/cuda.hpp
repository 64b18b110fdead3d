#pragma once
// The CUDA backend's facts and switches. Its devices are used as every device is
// (Device::cuda(i), model.to(...), --device cuda); this header says whether there are any and sets
// how they compute. Available in every build: without the CUDA backend (NN_WITH_CUDA=OFF) or without
// a GPU, device_count() is 0 and unavailable_reason() says why.
#include <string>

namespace nn::cuda {

bool built();          // this nn was built with the CUDA backend
int device_count();    // the GPUs present (0 without a GPU or its driver, or when not built)
bool is_available();   // device_count() > 0
// Why there is no CUDA device, in words ("" when there is one): for messages and skipped tests.
std::string unavailable_reason();
// "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)"; std::out_of_range for a device that is not there.
std::string device_name(int index = 0);
// The versions of the CUDA runtime, cuBLAS(Lt) and cuDNN in use, e.g. "CUDA 13.0, cuBLASLt 13.0.0, cuDNN 9.13.0".
std::string library_versions();

// TF32: float32 matrix products and convolutions on tensor cores with 10-bit-mantissa inputs and
// float32 accumulation (about 1e-3 relative error per product; several times faster on Ampere and
// later). The defaults are PyTorch's: on for convolutions (torch.backends.cudnn.allow_tf32), off for
// matrix products (torch.backends.cuda.matmul.allow_tf32). The mnist tool's --tf32 on|off sets both.
void set_allow_tf32_convolutions(bool on);
bool allow_tf32_convolutions();
void set_allow_tf32_matmul(bool on);
bool allow_tf32_matmul();

// cuDNN's convolution algorithms: by its heuristics (the default), or by a one-time timed search of
// every algorithm for each layer's geometry and batch size, kept in the layer's KernelPlan
// (torch.backends.cudnn.benchmark; the mnist tool's --cudnn-benchmark).
void set_cudnn_benchmark(bool on);
bool cudnn_benchmark();

}  // namespace nn::cuda
