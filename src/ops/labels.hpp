#pragma once
// Class labels for the ops that read them (the sparse cross-entropies, one-hot, accuracy): int64
// class indices, checked on the host before any kernel runs (a device kernel cannot throw).
#include <cstdint>
#include <string>

#include "nn/tensor.hpp"

namespace nn::detail {

// y as int64 labels in [0, classes): int64, int32 and uint8 tensors are taken as they are, float
// ones when every value is a whole number (as Keras accepts them). Anything else throws
// std::out_of_range("<what>: label 3.5 of row 2 is not a class index in [0, 10)"). Reads y on the
// host (a copy and a synchronisation for a device tensor).
Tensor class_labels(const Tensor& y, int64_t classes, const std::string& what);

}  // namespace nn::detail
