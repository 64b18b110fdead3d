// Elementwise functions of one tensor and their derivatives.
#include <cmath>

#include "cpu_backend.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {
constexpr float kSeluAlpha = 1.6732632423543772f, kSeluScale = 1.0507009873554805f;
constexpr float kInvSqrt2 = 0.70710678118654752f, kInvSqrt2Pi = 0.39894228040143268f;

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
// log(1 + e^x) without overflow for large x or loss for very negative x.
inline float softplus(float x) { return std::fmax(x, 0.0f) + std::log1p(std::exp(-std::fabs(x))); }
inline float relu6(float x) { return std::fmin(std::fmax(x, 0.0f), 6.0f); }

// y = f(x) over [b, e): one loop per op, so each is a simple vectorisable loop.
template <class F>
void map(const float* x, float* y, int64_t b, int64_t e, F f) {
  for (int64_t i = b; i < e; ++i) y[i] = f(x[i]);
}

// dx = f(i) over [b, e).
template <class F>
void write_grad(float* dx, int64_t b, int64_t e, F f) {
  for (int64_t i = b; i < e; ++i) dx[i] = f(i);
}
// Relu and its gradient, the most frequent of these, also in AVX-512 and AVX2 (the loops above are
// compiled for the baseline only). y may be x and dx may be dy (same index: no restrict).
NN_MULTIVERSION void relu_forward(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
NN_MULTIVERSION void relu_backward(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}
}  // namespace

void CpuBackend::unary(UnaryOp op, float alpha, const float* x, float* y, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    switch (op) {
      case UnaryOp::Relu:
        relu_forward(x + b, y + b, e - b);
        break;
      case UnaryOp::Sigmoid:
        map(x, y, b, e, sigmoid);
        break;
      case UnaryOp::Tanh:
        map(x, y, b, e, [](float v) { return std::tanh(v); });
        break;
      case UnaryOp::Exp:
        map(x, y, b, e, [](float v) { return std::exp(v); });
        break;
      case UnaryOp::Log:
        map(x, y, b, e, [](float v) { return std::log(v); });
        break;
      case UnaryOp::Neg:
        map(x, y, b, e, [](float v) { return -v; });
        break;
      case UnaryOp::Square:
        map(x, y, b, e, [](float v) { return v * v; });
        break;
      case UnaryOp::Sqrt:
        map(x, y, b, e, [](float v) { return std::sqrt(v); });
        break;
      case UnaryOp::Abs:
        map(x, y, b, e, [](float v) { return std::fabs(v); });
        break;
      case UnaryOp::Relu6:
        map(x, y, b, e, relu6);
        break;
      case UnaryOp::LeakyRelu:
        map(x, y, b, e, [alpha](float v) { return v > 0.0f ? v : alpha * v; });
        break;
      case UnaryOp::Elu:
        map(x, y, b, e, [alpha](float v) { return v > 0.0f ? v : alpha * std::expm1(v); });
        break;
      case UnaryOp::Selu:
        map(x, y, b, e, [](float v) { return kSeluScale * (v > 0.0f ? v : kSeluAlpha * std::expm1(v)); });
        break;
      case UnaryOp::Gelu:
        map(x, y, b, e, [](float v) { return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2)); });
        break;
      case UnaryOp::Softplus:
        map(x, y, b, e, softplus);
        break;
      case UnaryOp::Softsign:
        map(x, y, b, e, [](float v) { return v / (1.0f + std::fabs(v)); });
        break;
      case UnaryOp::Silu:
        map(x, y, b, e, [](float v) { return v * sigmoid(v); });
        break;
      case UnaryOp::HardSigmoid:
        map(x, y, b, e, [](float v) { return relu6(v + 3.0f) / 6.0f; });
        break;
      case UnaryOp::HardSilu:
        map(x, y, b, e, [](float v) { return v * relu6(v + 3.0f) / 6.0f; });
        break;
      case UnaryOp::Mish:
        map(x, y, b, e, [](float v) { return v * std::tanh(softplus(v)); });
        break;
      case UnaryOp::LogSigmoid:
        map(x, y, b, e, [](float v) { return -softplus(-v); });
        break;
    }
  });
}

void CpuBackend::unary_backward(UnaryOp op, float alpha, const float* x, const float* y, const float* dy,
                                float* dx, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    auto grad = [&](auto f) { write_grad(dx, b, e, f); };
    switch (op) {
      case UnaryOp::Relu:
        relu_backward(x + b, dy + b, dx + b, e - b);
        break;
      case UnaryOp::Sigmoid:
        grad([&](int64_t i) { return dy[i] * y[i] * (1.0f - y[i]); });
        break;
      case UnaryOp::Tanh:
        grad([&](int64_t i) { return dy[i] * (1.0f - y[i] * y[i]); });
        break;
      case UnaryOp::Exp:
        grad([&](int64_t i) { return dy[i] * y[i]; });
        break;
      case UnaryOp::Log:
        grad([&](int64_t i) { return dy[i] / x[i]; });
        break;
      case UnaryOp::Neg:
        grad([&](int64_t i) { return -dy[i]; });
        break;
      case UnaryOp::Square:
        grad([&](int64_t i) { return 2.0f * x[i] * dy[i]; });
        break;
      case UnaryOp::Sqrt:
        grad([&](int64_t i) { return dy[i] * 0.5f / y[i]; });
        break;
      case UnaryOp::Abs:
        grad([&](int64_t i) { return x[i] > 0.0f ? dy[i] : (x[i] < 0.0f ? -dy[i] : 0.0f); });
        break;
      case UnaryOp::Relu6:
        grad([&](int64_t i) { return x[i] > 0.0f && x[i] < 6.0f ? dy[i] : 0.0f; });
        break;
      case UnaryOp::LeakyRelu:
        grad([&](int64_t i) { return x[i] > 0.0f ? dy[i] : alpha * dy[i]; });
        break;
      case UnaryOp::Elu:
        grad([&](int64_t i) { return x[i] > 0.0f ? dy[i] : dy[i] * (y[i] + alpha); });
        break;
      case UnaryOp::Selu:
        grad([&](int64_t i) {
          return x[i] > 0.0f ? kSeluScale * dy[i] : dy[i] * (y[i] + kSeluScale * kSeluAlpha);
        });
        break;
      case UnaryOp::Gelu:
        grad([&](int64_t i) {
          const float v = x[i];
          return dy[i] *
                 (0.5f * (1.0f + std::erf(v * kInvSqrt2)) + v * kInvSqrt2Pi * std::exp(-0.5f * v * v));
        });
        break;
      case UnaryOp::Softplus:
        grad([&](int64_t i) { return dy[i] * sigmoid(x[i]); });
        break;
      case UnaryOp::Softsign:
        grad([&](int64_t i) {
          const float d = 1.0f + std::fabs(x[i]);
          return dy[i] / (d * d);
        });
        break;
      case UnaryOp::Silu:
        grad([&](int64_t i) {
          const float s = sigmoid(x[i]);
          return dy[i] * s * (1.0f + x[i] * (1.0f - s));
        });
        break;
      case UnaryOp::HardSigmoid:
        grad([&](int64_t i) { return x[i] > -3.0f && x[i] < 3.0f ? dy[i] / 6.0f : 0.0f; });
        break;
      case UnaryOp::HardSilu:
        grad([&](int64_t i) {
          const float v = x[i];
          return v <= -3.0f ? 0.0f : v >= 3.0f ? dy[i] : dy[i] * (2.0f * v + 3.0f) / 6.0f;
        });
        break;
      case UnaryOp::Mish:
        grad([&](int64_t i) {
          const float v = x[i], t = std::tanh(softplus(v));
          return dy[i] * (t + v * (1.0f - t * t) * sigmoid(v));
        });
        break;
      case UnaryOp::LogSigmoid:
        grad([&](int64_t i) { return dy[i] * sigmoid(-x[i]); });
        break;
    }
  });
}

}  // namespace nn::detail
