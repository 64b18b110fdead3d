#pragma once
// Class labels for the ops that read them (the sparse cross-entropies, one-hot, accuracy): int64
// class indices, checked by the labels' backend (Backend::check_class_labels: the CPU throws at
// once; a device raises a bad label at its next synchronization, as its kernels cannot throw).
#include <cstdint>
#include <string>

#include "nn/tensor.hpp"

namespace nn::detail {

// y as int64 labels in [0, classes): int64, int32 and uint8 tensors are taken as they are, float
// ones when every value is a whole number (as Keras accepts them). Anything else throws
// std::out_of_range("<what>: label 3.5 of row 2 is not a class index in [0, 10)"): at once for a
// host tensor; at the device's next synchronization for a device one (no copy, no wait here).
Tensor class_labels(const Tensor& y, int64_t classes, const std::string& what);

}  // namespace nn::detail
