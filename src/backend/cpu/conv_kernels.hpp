#pragma once
// A vendor library's convolution kernels inside the CPU backend: an optional build component in a
// folder of its own (today oneDNN, src/backend/onednn, NN_WITH_ONEDNN), registered in
// src/backend/registry.cpp (vendor_conv_kernels). The CPU plan for a geometry (cpu_conv.cpp) holds
// one when a component provides it and NN_CONV is not `im2col`; each direction it declines (see
// does_*) runs on im2col.
#include <cstdint>
#include <memory>

#include "nn/backend/backend.hpp"

namespace nn::detail {

class ConvKernels {
 public:
  virtual ~ConvKernels() = default;
  // The directions these kernels take for their geometry.
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
  // The library's name for the kernel of each direction (for benchmarks and errors).
  virtual const char* implementation() const = 0;
};

// Kernels for p's geometry, or null where the provider has none it prefers to im2col.
using ConvKernelsFactory = std::unique_ptr<ConvKernels> (*)(const Conv2DParams& p);

struct VendorConv {
  const char* name = nullptr;          // "oneDNN"; null: none built in
  ConvKernelsFactory make = nullptr;
};

// The convolution provider this build registered (src/backend/registry.cpp), if any.
VendorConv vendor_conv_kernels();

}  // namespace nn::detail
