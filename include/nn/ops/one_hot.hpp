#pragma once
#include <cstdint>

#include "nn/tensor.hpp"

namespace nn {

// One-hot rows from integer class labels (stored as floats) of any shape: labels (...) ->
// (..., classes); a single label () gives (classes). A label outside [0, classes) or not a whole
// number throws std::out_of_range naming it.
//   ds.map([](nn::data::Example e) { return nn::data::Example{e.x, nn::one_hot(e.y, 10)}; })
Tensor one_hot(const Tensor& labels, int64_t classes);

}  // namespace nn
