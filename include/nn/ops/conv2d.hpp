#pragma once
// 2-d convolution, NCHW (channels first), weight (K, C, kh, kw).
#include <cstdint>
#include <string>

#include "nn/autograd/variable.hpp"
#include "nn/backend/backend.hpp"

namespace nn {

// 'valid' (none), 'same' (output = ceil(input / stride), TensorFlow's split: the extra row or
// column of an odd total goes to the bottom/right), or explicit per-axis amounts.
struct Padding {
  enum class Mode { Valid, Same, Explicit };
  Mode mode = Mode::Valid;
  int64_t h = 0, w = 0;  // Explicit: rows added top and bottom, columns left and right

  static Padding valid() { return {Mode::Valid, 0, 0}; }
  static Padding same() { return {Mode::Same, 0, 0}; }
  static Padding values(int64_t h, int64_t w) { return {Mode::Explicit, h, w}; }
  static Padding parse(const std::string& s);  // "valid", "same", or "2" / "2,1"
  std::string str() const;
};

// Pads (before, after) for one spatial axis.
std::pair<int64_t, int64_t> padding_amounts(const Padding& p, bool height, int64_t in, int64_t kernel,
                                            int64_t stride);

// x: (N, C, H, W), w: (K, C, kh, kw), bias: (K) or undefined -> (N, K, OH, OW).
Variable conv2d(const Variable& x, const Variable& w, const Variable& bias, int64_t stride_h = 1,
                int64_t stride_w = 1, const Padding& padding = Padding::valid());

// The kernel geometry conv2d uses (throws std::invalid_argument naming both shapes).
Conv2DParams conv2d_params(const Shape& x, const Shape& w, int64_t stride_h, int64_t stride_w,
                           const Padding& padding);

}  // namespace nn
