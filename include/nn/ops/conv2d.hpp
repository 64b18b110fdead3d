#pragma once
// 2-d convolution, NCHW (channels first), weight (K, C, kh, kw).
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "nn/autograd/variable.hpp"
#include "nn/backend/backend.hpp"

namespace nn {

// An extent for each of the two spatial axes (kernel sizes, strides, pool sizes): one number for
// both, or {h, w}.
struct Size2 {
  int64_t h = 1, w = 1;
  Size2(int64_t both) : h(both), w(both) {}  // NOLINT(google-explicit-constructor)
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
  bool operator==(const Size2& o) const { return h == o.h && w == o.w; }
};

// 'valid' (none), 'same' (output = ceil(input / stride), TensorFlow's split: the extra row or
// column of an odd total goes to the bottom/right), or explicit per-axis amounts. Converts from
// "valid" / "same" / "2" / "2,1" and from a number of rows and columns.
class Padding {
 public:
  enum class Mode { Valid, Same, Explicit };
  Padding() = default;  // valid
  Padding(const char* s) : Padding(parse(s)) {}          // NOLINT(google-explicit-constructor)
  Padding(const std::string& s) : Padding(parse(s)) {}   // NOLINT(google-explicit-constructor)
  Padding(int64_t both) : Padding(values(both, both)) {}  // NOLINT(google-explicit-constructor)

  static Padding valid() { return {}; }
  static Padding same() { return Padding(Mode::Same, 0, 0); }
  static Padding values(int64_t h, int64_t w);  // rows added top and bottom, columns left and right
  static Padding parse(const std::string& s);   // "valid", "same", or "2" / "2,1"
  std::string str() const;

  Mode mode = Mode::Valid;
  int64_t h = 0, w = 0;  // Explicit amounts

 private:
  Padding(Mode m, int64_t h_, int64_t w_) : mode(m), h(h_), w(w_) {}
};

// Pads (before, after) for one spatial axis.
std::pair<int64_t, int64_t> padding_amounts(const Padding& p, bool height, int64_t in, int64_t kernel,
                                            int64_t stride);

// Where a layer keeps its convolution plan (nn/backend/backend.hpp, KernelPlan) between calls:
// made by the input's backend on first use, remade when the geometry or the backend changes.
// Safe to share between threads.
class Conv2DPlanCache {
 public:
  std::shared_ptr<KernelPlan> get(Backend& backend, const Conv2DParams& p);

 private:
  std::mutex mutex_;
  Backend* backend_ = nullptr;
  Conv2DParams key_;
  std::shared_ptr<KernelPlan> plan_;
};

// x: (N, C, H, W), w: (K, C, kh, kw), bias: (K) or undefined -> act(conv + bias): (N, K, OH, OW).
// `plans` keeps the kernel plan between calls (null: a plan made for this call only).
Variable conv2d(const Variable& x, const Variable& w, const Variable& bias, int64_t stride_h = 1,
                int64_t stride_w = 1, const Padding& padding = Padding::valid(),
                Epilogue act = Epilogue::None, Conv2DPlanCache* plans = nullptr);

// The kernel geometry conv2d uses (throws std::invalid_argument naming both shapes).
Conv2DParams conv2d_params(const Shape& x, const Shape& w, int64_t stride_h, int64_t stride_w,
                           const Padding& padding);

}  // namespace nn
