#include "nn/dtype.hpp"

#include <stdexcept>

namespace nn {

std::string to_string(DType t) {
  switch (t) {
    case kFloat32: return "float32";
    case kFloat16: return "float16";
    case kBFloat16: return "bfloat16";
    case kInt32: return "int32";
    case kInt64: return "int64";
    case kUInt8: return "uint8";
  }
  return "unknown";
}

DType dtype_from_string(const std::string& name) {
  for (DType t : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8})
    if (to_string(t) == name) return t;
  throw std::invalid_argument("unknown dtype '" + name +
                              "' (expected float32, float16, bfloat16, int32, int64 or uint8)");
}

float to_float(Half h) {
  const uint32_t sign = static_cast<uint32_t>(h.bits & 0x8000u) << 16;
  uint32_t exp = (h.bits >> 10) & 0x1fu, mant = h.bits & 0x3ffu, u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (mant << 13);  // infinity, NaN
  } else if (exp != 0) {
    u = sign | ((exp + 112) << 23) | (mant << 13);  // normal: rebias 15 -> 127
  } else if (mant == 0) {
    u = sign;  // zero
  } else {     // subnormal: normalise
    exp = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    u = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

Half to_half(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const auto sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return {static_cast<uint16_t>(sign | 0x7e00u)};  // NaN
  if (abs >= 0x47800000u) return {static_cast<uint16_t>(sign | 0x7c00u)};  // overflow: infinity
  if (abs < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    if (abs < 0x33000000u) return {sign};  // under half the smallest subnormal
    const uint32_t exp = abs >> 23, mant = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // to bits of 2^-24
    uint32_t h = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1u))) ++h;
    return {static_cast<uint16_t>(sign | h)};
  }
  uint32_t h = ((abs >> 13) - (112u << 10));  // rebias 127 -> 15, keep 10 mantissa bits
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // round to nearest, ties to even
  return {static_cast<uint16_t>(sign | h)};
}

}  // namespace nn
