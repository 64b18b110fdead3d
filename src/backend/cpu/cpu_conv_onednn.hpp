#pragma once
// Convolution on oneDNN, an optional kernel provider inside the CPU backend (built when CMake
// finds oneDNN 2.x: NN_WITH_ONEDNN). oneDNN's JIT direct convolutions work in a blocked layout
// (channels in groups of 16) and read their input in place, where im2col + GEMM copies every
// image into columns and OpenBLAS packs them again: on MNIST's convolutions with 16 or more input
// channels they ran at 1.7-4.9x the speed of im2col (`bench_kernels`: rows "[onednn]" beside
// "[im2col]"; benchmarks/RESULTS.md).
//
// The CPU plan for a geometry (cpu_conv.cpp) holds one of these when oneDNN is built in and
// NN_CONV is not `im2col`; each direction it declines (see does_*) runs on im2col.
//
// Threads: oneDNN is never given threads of its own. Each of nn's pool threads runs a oneDNN
// primitive, single-threaded, on its share of the batch (primitives are made per share size and
// kept), so the cores are used by one set of threads only, as with OpenBLAS.
#include <cstdint>
#include <memory>

#include "nn/backend/backend.hpp"

namespace nn::detail {

class OnednnConv {
 public:
  virtual ~OnednnConv() = default;
  // The directions this provider takes for its geometry: those with a oneDNN JIT kernel (not
  // its reference ones).
  virtual bool does_forward() const = 0;
  virtual bool does_backward_data() const = 0;
  virtual bool does_backward_weights() const = 0;
  // As Backend::conv2d_forward. `be` provides the scratch memory.
  virtual void forward(Backend& be, const Conv2DParams& p, const float* x, const float* w, const float* bias,
                       Epilogue act, float* y) = 0;
  // dx (may be null) and dw (may be null) from dz = dy act'(y), the gradient before the
  // activation (the caller computes it, and db).
  virtual void backward(Backend& be, const Conv2DParams& p, const float* x, const float* w, const float* dz,
                        float* dx, float* dw) = 0;
  // oneDNN's name for the kernel of each direction (for benchmarks and errors).
  virtual const char* implementation() const = 0;
};

// A oneDNN convolution for p's geometry, or null when nn was built without oneDNN, the input has
// fewer than 16 channels (im2col measured better there: see make_onednn_conv), or oneDNN cannot
// make one.
std::unique_ptr<OnednnConv> make_onednn_conv(const Conv2DParams& p);

// Whether this build has the oneDNN provider.
bool onednn_built_in();

}  // namespace nn::detail
