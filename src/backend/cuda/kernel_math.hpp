#pragma once
// The arithmetic of nn's own CUDA kernels, one element or one value at a time, written once for the
// device and the host: the CUDA kernels (cuda_kernels.cu) call these, and the CPU test suite
// (tests/test_kernel_math.cpp) checks them against the CPU backend's kernels value by value, so the
// formulas the GPU runs are tested on every machine, with or without a GPU. Plain C++ when not
// compiled by nvcc.
#include <cmath>
#include <cstdint>

#include "nn/backend/backend.hpp"

#if defined(__CUDACC__)
#define NN_HD __host__ __device__ inline
#else
#define NN_HD inline
#endif

namespace nn::detail::kmath {

constexpr float kSeluAlpha = 1.6732632423543772f, kSeluScale = 1.0507009873554805f;
constexpr float kInvSqrt2 = 0.70710678118654752f, kInvSqrt2Pi = 0.39894228040143268f;

NN_HD float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
NN_HD float softplus(float x) { return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x))); }
NN_HD float relu6(float x) { return fminf(fmaxf(x, 0.0f), 6.0f); }

// y = op(x), as the CPU backend's unary kernel.
NN_HD float unary(UnaryOp op, float alpha, float v) {
  switch (op) {
    case UnaryOp::Relu: return v > 0.0f ? v : 0.0f;
    case UnaryOp::Sigmoid: return sigmoid(v);
    case UnaryOp::Tanh: return tanhf(v);
    case UnaryOp::Exp: return expf(v);
    case UnaryOp::Log: return logf(v);
    case UnaryOp::Neg: return -v;
    case UnaryOp::Square: return v * v;
    case UnaryOp::Sqrt: return sqrtf(v);
    case UnaryOp::Abs: return fabsf(v);
    case UnaryOp::Relu6: return relu6(v);
    case UnaryOp::LeakyRelu: return v > 0.0f ? v : alpha * v;
    case UnaryOp::Elu: return v > 0.0f ? v : alpha * expm1f(v);
    case UnaryOp::Selu: return kSeluScale * (v > 0.0f ? v : kSeluAlpha * expm1f(v));
    case UnaryOp::Gelu: return 0.5f * v * (1.0f + erff(v * kInvSqrt2));
    case UnaryOp::Softplus: return softplus(v);
    case UnaryOp::Softsign: return v / (1.0f + fabsf(v));
    case UnaryOp::Silu: return v * sigmoid(v);
    case UnaryOp::HardSigmoid: return relu6(v + 3.0f) / 6.0f;
    case UnaryOp::HardSilu: return v * relu6(v + 3.0f) / 6.0f;
    case UnaryOp::Mish: return v * tanhf(softplus(v));
    case UnaryOp::LogSigmoid: return -softplus(-v);
  }
  return v;
}

// dx = dy op'(x), given x and y = op(x) (each op reads whichever it needs, as the CPU's).
NN_HD float unary_grad(UnaryOp op, float alpha, float x, float y, float dy) {
  switch (op) {
    case UnaryOp::Relu: return x > 0.0f ? dy : 0.0f;
    case UnaryOp::Sigmoid: return dy * y * (1.0f - y);
    case UnaryOp::Tanh: return dy * (1.0f - y * y);
    case UnaryOp::Exp: return dy * y;
    case UnaryOp::Log: return dy / x;
    case UnaryOp::Neg: return -dy;
    case UnaryOp::Square: return 2.0f * x * dy;
    case UnaryOp::Sqrt: return dy * 0.5f / y;
    case UnaryOp::Abs: return x > 0.0f ? dy : (x < 0.0f ? -dy : 0.0f);
    case UnaryOp::Relu6: return x > 0.0f && x < 6.0f ? dy : 0.0f;
    case UnaryOp::LeakyRelu: return x > 0.0f ? dy : alpha * dy;
    case UnaryOp::Elu: return x > 0.0f ? dy : dy * (y + alpha);
    case UnaryOp::Selu: return x > 0.0f ? kSeluScale * dy : dy * (y + kSeluScale * kSeluAlpha);
    case UnaryOp::Gelu:
      return dy * (0.5f * (1.0f + erff(x * kInvSqrt2)) + x * kInvSqrt2Pi * expf(-0.5f * x * x));
    case UnaryOp::Softplus: return dy * sigmoid(x);
    case UnaryOp::Softsign: {
      const float d = 1.0f + fabsf(x);
      return dy / (d * d);
    }
    case UnaryOp::Silu: {
      const float s = sigmoid(x);
      return dy * s * (1.0f + x * (1.0f - s));
    }
    case UnaryOp::HardSigmoid: return x > -3.0f && x < 3.0f ? dy / 6.0f : 0.0f;
    case UnaryOp::HardSilu: return x <= -3.0f ? 0.0f : x >= 3.0f ? dy : dy * (2.0f * x + 3.0f) / 6.0f;
    case UnaryOp::Mish: {
      const float t = tanhf(softplus(x));
      return dy * (t + x * (1.0f - t * t) * sigmoid(x));
    }
    case UnaryOp::LogSigmoid: return dy * sigmoid(-x);
  }
  return dy;
}

// An epilogue's activation and its gradient from the output y = act(z).
NN_HD float epilogue(Epilogue act, float z) {
  switch (act) {
    case Epilogue::None: return z;
    case Epilogue::Relu: return z > 0.0f ? z : 0.0f;
    case Epilogue::Sigmoid: return sigmoid(z);
    case Epilogue::Tanh: return tanhf(z);
  }
  return z;
}
NN_HD float epilogue_grad(Epilogue act, float y, float dy) {
  switch (act) {
    case Epilogue::None: return dy;
    case Epilogue::Relu: return y > 0.0f ? dy : 0.0f;
    case Epilogue::Sigmoid: return dy * y * (1.0f - y);
    case Epilogue::Tanh: return dy * (1.0f - y * y);
  }
  return dy;
}

// ---- counter-based randomness: the CPU's dropout draws (nn/random.hpp's splitmix64_at) ----
NN_HD uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
NN_HD float uniform_at(uint64_t seed, uint64_t index) {
  return static_cast<float>(mix64(seed + 0x9E3779B97F4A7C15ULL * (index + 1)) >> 40) * (1.0f / 16777216.0f);
}
// Dropout's mask value for element `index`: 1/(1 - rate) kept, 0 dropped.
NN_HD float dropout_mask(uint64_t seed, uint64_t index, float rate) {
  const float keep_scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
  return uniform_at(seed, index) >= rate ? keep_scale : 0.0f;
}

// ---- optimizers, one element (w, g and the slots in place), as the CPU backend's ----
NN_HD void sgd(const SgdParams& p, float& w, float g, float* velocity) {
  const float gi = g + p.weight_decay * w;
  if (p.momentum == 0.0f || !velocity) {
    w -= p.lr * gi;
    return;
  }
  const float v = p.momentum * *velocity - p.lr * gi;
  *velocity = v;
  w += p.nesterov ? p.momentum * v - p.lr * gi : v;
}

// Adam's per-step coefficients (computed once per step on the host, in double, as the CPU does).
struct AdamStep {
  float one_minus_b1, one_minus_b2, weight_decay, shrink, lr_t, eps;
};
inline AdamStep adam_step(const AdamParams& p) {
  const double t = static_cast<double>(p.step);
  const double correction2 = std::sqrt(1.0 - std::pow(p.beta2, t));
  AdamStep s;
  s.lr_t = static_cast<float>(p.lr * correction2 / (1.0 - std::pow(p.beta1, t)));
  s.eps = static_cast<float>(p.pytorch_epsilon ? p.epsilon * correction2 : p.epsilon);
  s.shrink = 1.0f - p.lr * p.decoupled_weight_decay;
  s.one_minus_b1 = 1.0f - p.beta1;
  s.one_minus_b2 = 1.0f - p.beta2;
  s.weight_decay = p.weight_decay;
  return s;
}
NN_HD void adam(const AdamStep& s, float& w, float g, float& m, float& v) {
  const float gi = g + s.weight_decay * w;
  const float mi = m + (gi - m) * s.one_minus_b1;
  const float vi = v + (gi * gi - v) * s.one_minus_b2;
  m = mi;
  v = vi;
  w = w * s.shrink - s.lr_t * mi / (sqrtf(vi) + s.eps);
}

NN_HD void rmsprop(const RmspropParams& p, float& w, float g, float& v, float* avg_g, float* mom) {
  v = p.rho * v + (1.0f - p.rho) * g * g;
  float denominator = v;
  if (p.centered) {
    *avg_g = p.rho * *avg_g + (1.0f - p.rho) * g;
    denominator -= *avg_g * *avg_g;
  }
  const float step = p.lr * g / sqrtf(denominator + p.epsilon);
  if (mom) {
    *mom = p.momentum * *mom + step;
    w -= *mom;
  } else {
    w -= step;
  }
}

NN_HD void adagrad(const AdagradParams& p, float& w, float g, float& acc) {
  acc += g * g;
  w -= p.lr * g / sqrtf(acc + p.epsilon);
}

// ---- element types: Tensor::to(DType)'s rules (src/util/dtype_convert.hpp), bit for bit ----
NN_HD uint32_t float_bits(float f) {
  union {
    float f;
    uint32_t u;
  } v{f};
  return v.u;
}
NN_HD float bits_float(uint32_t u) {
  union {
    uint32_t u;
    float f;
  } v{u};
  return v.f;
}
NN_HD uint16_t to_bfloat16_bits(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
NN_HD float from_bfloat16_bits(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }
NN_HD uint16_t to_half_bits(float f) {
  const uint32_t u = float_bits(f);
  const auto sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);
  if (abs >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (abs < 0x38800000u) {
    if (abs < 0x33000000u) return sign;
    const uint32_t exp = abs >> 23, mant = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;
    uint32_t h = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = ((abs >> 13) - (112u << 10));
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}
NN_HD float from_half_bits(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu, mant = bits & 0x3ffu, u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    u = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    u = sign;
  } else {
    exp = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    u = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  return bits_float(u);
}
// A double to an integer type's range: truncated toward zero, saturated, NaN -> 0.
template <class I>
NN_HD I to_integer(double v, I lo, I hi) {
  if (v != v) return 0;
  if (v <= static_cast<double>(lo)) return lo;
  if (v >= static_cast<double>(hi)) return hi;
  return static_cast<I>(v);
}

// Whether a label value is a class index in [0, classes).
NN_HD bool is_class_index(double x, int64_t classes) {
  return x >= 0.0 && x < static_cast<double>(classes) && floor(x) == x;
}

}  // namespace nn::detail::kmath
