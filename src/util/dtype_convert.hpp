#pragma once
// Element conversion between dtypes, the rules of Tensor::to(DType): through double (exact for every
// value of every dtype here); floats to integers truncate toward zero and saturate (NaN becomes 0);
// to float16 and bfloat16 rounds to nearest even. The dtype switch stays outside the loops:
// with_type(t, f) calls f with a value of t's C++ type.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "nn/dtype.hpp"

namespace nn::detail {

template <class F>
void with_type(DType t, F&& f) {
  switch (t) {
    case kFloat32: return f(float{});
    case kFloat16: return f(Half{});
    case kBFloat16: return f(BFloat16{});
    case kInt32: return f(int32_t{});
    case kInt64: return f(int64_t{});
    case kUInt8: return f(uint8_t{});
  }
}

inline double as_double(float v) { return v; }
inline double as_double(Half v) { return to_float(v); }
inline double as_double(BFloat16 v) { return to_float(v); }
inline double as_double(int32_t v) { return v; }
inline double as_double(int64_t v) { return static_cast<double>(v); }
inline double as_double(uint8_t v) { return v; }

template <class I>
I to_integer(double v) {  // truncated toward zero, saturated, NaN -> 0
  if (std::isnan(v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  if (v >= static_cast<double>(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return static_cast<I>(v);
}

template <class T>
T from_double(double v) {
  if constexpr (std::is_same_v<T, float>) return static_cast<float>(v);
  else if constexpr (std::is_same_v<T, Half>) return to_half(static_cast<float>(v));
  else if constexpr (std::is_same_v<T, BFloat16>) return to_bfloat16(static_cast<float>(v));
  else return to_integer<T>(v);
}

// dst[i] = src[i] converted, for n elements of the two dtypes (host memory).
inline void convert_elements(const void* src, DType from, void* dst, DType to, int64_t n) {
  with_type(from, [&](auto s) {
    with_type(to, [&](auto d) {
      using S = decltype(s);
      using D = decltype(d);
      const S* in = static_cast<const S*>(src);
      D* out = static_cast<D*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = from_double<D>(as_double(in[i]));
    });
  });
}

}  // namespace nn::detail
