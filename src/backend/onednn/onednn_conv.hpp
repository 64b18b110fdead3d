#pragma once
// Convolution on oneDNN, the CPU backend's optional convolution provider (conv_kernels.hpp),
// built when CMake finds oneDNN 2.x (NN_WITH_ONEDNN; this folder's CMakeLists.txt). oneDNN's JIT
// direct convolutions work in a blocked layout (channels in groups of 16) and read their input in
// place, where im2col + GEMM copies every image into columns and OpenBLAS packs them again: on
// MNIST's convolutions with 16 or more input channels they ran at 1.7-4.9x the speed of im2col
// (`bench_kernels`: rows "[onednn]" beside "[im2col]"; benchmarks/RESULTS.md).
//
// Threads: oneDNN is never given threads of its own. Each of nn's pool threads runs a oneDNN
// primitive, single-threaded, on its share of the batch (primitives are made per share size and
// kept), so the cores are used by one set of threads only, as with OpenBLAS.
#include <memory>

#include "../cpu/conv_kernels.hpp"

namespace nn::detail {

// oneDNN's kernels for p's geometry, or null when the input has fewer than 16 channels (im2col
// measured better there: see the definition) or oneDNN has no JIT kernel for it.
std::unique_ptr<ConvKernels> make_onednn_conv(const Conv2DParams& p);

}  // namespace nn::detail
