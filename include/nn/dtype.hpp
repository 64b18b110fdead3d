#pragma once
// Element types, spelled as PyTorch's C++ API spells them (nn::kFloat32, nn::kInt64, ...).
// float32 is what the kernels compute in on the CPU; int64 holds class labels and indices; uint8
// holds images as they are stored; int32 holds max-pool's argmax; float16 and bfloat16 are
// storage and conversion (a GPU backend computes in them), with round-to-nearest-even.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace nn {

enum class DType : uint8_t { Float32, Float16, BFloat16, Int32, Int64, UInt8 };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat16 = DType::Float16;
inline constexpr DType kBFloat16 = DType::BFloat16;
inline constexpr DType kInt32 = DType::Int32;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kUInt8 = DType::UInt8;

// Bytes per element.
constexpr size_t element_size(DType t) {
  switch (t) {
    case DType::Float32: case DType::Int32: return 4;
    case DType::Float16: case DType::BFloat16: return 2;
    case DType::Int64: return 8;
    case DType::UInt8: return 1;
  }
  return 0;
}
constexpr bool is_floating(DType t) { return t == kFloat32 || t == kFloat16 || t == kBFloat16; }

std::string to_string(DType t);  // "float32", "int64", ...
// The dtype named by to_string's spelling; std::invalid_argument for any other.
DType dtype_from_string(const std::string& name);

// IEEE 754 binary16 and bfloat16 as 16-bit patterns, converted to and from float.
struct Half {
  uint16_t bits = 0;
};
struct BFloat16 {
  uint16_t bits = 0;
};

inline float to_float(BFloat16 h) {
  const uint32_t u = static_cast<uint32_t>(h.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline BFloat16 to_bfloat16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return {static_cast<uint16_t>((u >> 16) | 0x40)};  // NaN stays NaN
  u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return {static_cast<uint16_t>(u >> 16)};
}
float to_float(Half h);
Half to_half(float f);

// The DType of a C++ element type (data<T>() checks it).
template <class T>
struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = kFloat32; };
template <> struct dtype_of<Half> { static constexpr DType value = kFloat16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = kBFloat16; };
template <> struct dtype_of<int32_t> { static constexpr DType value = kInt32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = kInt64; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = kUInt8; };

}  // namespace nn
