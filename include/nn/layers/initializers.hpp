#pragma once
// Weight initializers with Keras's names and definitions:
//   glorot_uniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))   (Keras's default kernel init)
//   glorot_normal   truncated N(0, 2 / (fan_in + fan_out))
//   he_normal       truncated N(0, 2 / fan_in)
//   he_uniform      U(-l, l), l = sqrt(6 / fan_in)
//   zeros, ones
// Truncated normals redraw values beyond two standard deviations (the stddev is corrected for
// the truncation, as Keras does).
#include <string>

#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn {

Tensor initialize(const std::string& initializer, const Shape& shape, int64_t fan_in, int64_t fan_out,
                  Generator& gen = default_generator());

bool is_initializer(const std::string& name);

}  // namespace nn
