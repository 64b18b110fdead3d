// The arithmetic of the CUDA kernels (src/backend/cuda/kernel_math.hpp), compiled for the host and
// checked value by value against the CPU backend's kernels: every activation and its gradient, the
// epilogues, the counter-based dropout draws, the optimizers' updates, and the float16/bfloat16 and
// integer conversions. So the formulas the GPU runs are tested on every machine, with or without a GPU.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend/cuda/kernel_math.hpp"
#include "nn/nn.hpp"
#include "util/dtype_convert.hpp"

using namespace nn;
namespace km = nn::detail::kmath;

namespace {

std::vector<float> grid(float lo, float hi, int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n - 1));
  v.push_back(0.0f);
  return v;
}

bool close(float a, float b, float tol = 1e-6f) {
  if (a == b) return true;  // infinities too
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::fabs(a - b) <= tol + tol * std::fabs(b);
}

const UnaryOp kAllUnary[] = {UnaryOp::Relu, UnaryOp::Sigmoid, UnaryOp::Tanh, UnaryOp::Exp, UnaryOp::Log,
                             UnaryOp::Neg, UnaryOp::Square, UnaryOp::Sqrt, UnaryOp::Abs, UnaryOp::Relu6,
                             UnaryOp::LeakyRelu, UnaryOp::Elu, UnaryOp::Selu, UnaryOp::Gelu, UnaryOp::Softplus,
                             UnaryOp::Softsign, UnaryOp::Silu, UnaryOp::HardSigmoid, UnaryOp::HardSilu,
                             UnaryOp::Mish, UnaryOp::LogSigmoid};

}  // namespace

TEST_CASE("the CUDA kernels' activations and their gradients are the CPU backend's") {
  Backend& cpu = backend_for(Device::cpu());
  const std::vector<float> x = grid(-7.0f, 7.0f, 281);
  const auto n = static_cast<int64_t>(x.size());
  std::vector<float> dy(x.size());
  for (size_t i = 0; i < dy.size(); ++i) dy[i] = 0.5f + 0.01f * static_cast<float>(i % 17);
  for (UnaryOp op : kAllUnary) {
    CAPTURE(static_cast<int>(op));
    const float alpha = 0.3f;
    std::vector<float> y(x.size()), dx(x.size());
    cpu.unary(op, alpha, x.data(), y.data(), n);
    cpu.unary_backward(op, alpha, x.data(), y.data(), dy.data(), dx.data(), n);
    for (size_t i = 0; i < x.size(); ++i) {
      CAPTURE(x[i]);
      CHECK(close(km::unary(op, alpha, x[i]), y[i]));
      CHECK(close(km::unary_grad(op, alpha, x[i], y[i], dy[i]), dx[i]));
    }
  }
}

TEST_CASE("the CUDA kernels' epilogues (bias, activation and gradient) are the CPU backend's") {
  Backend& cpu = backend_for(Device::cpu());
  const std::vector<float> z = grid(-5.0f, 5.0f, 101);
  const auto n = static_cast<int64_t>(z.size());
  for (Epilogue act : {Epilogue::None, Epilogue::Relu, Epilogue::Sigmoid, Epilogue::Tanh}) {
    std::vector<float> y = z, dy(z.size(), 0.75f), dz(z.size());
    std::vector<float> bias{0.25f};
    cpu.bias_activation(y.data(), bias.data(), n, 1, 1, act);
    cpu.bias_activation_backward(y.data(), dy.data(), dz.data(), nullptr, n, 1, 1, act);
    for (size_t i = 0; i < z.size(); ++i) {
      CHECK(close(km::epilogue(act, z[i] + 0.25f), y[i]));
      CHECK(close(km::epilogue_grad(act, y[i], dy[i]), dz[i]));
    }
  }
}

TEST_CASE("the CUDA dropout kernel draws the CPU's masks: same seed and offset, same mask") {
  Backend& cpu = backend_for(Device::cpu());
  for (float rate : {0.0f, 0.25f, 0.5f, 0.9f}) {
    const int64_t n = 4099;
    std::vector<float> x(static_cast<size_t>(n), 1.0f), y(x.size()), mask(x.size());
    cpu.dropout(x.data(), y.data(), mask.data(), n, rate, 0xfeedULL, 12345);
    for (int64_t i = 0; i < n; ++i) CHECK(km::dropout_mask(0xfeedULL, 12345 + static_cast<uint64_t>(i), rate) == mask[static_cast<size_t>(i)]);
  }
  for (uint64_t i = 0; i < 1000; ++i) CHECK(km::mix64(i * 0x12345ULL) == mix64(i * 0x12345ULL));
}

TEST_CASE("the CUDA optimizer kernels update as the CPU backend's") {
  Backend& cpu = backend_for(Device::cpu());
  const int64_t n = 257;
  std::vector<float> w0(static_cast<size_t>(n)), g(w0.size());
  Generator gen(5);
  for (size_t i = 0; i < w0.size(); ++i) {
    w0[i] = gen.uniform(-1.0f, 1.0f);
    g[i] = gen.uniform(-1.0f, 1.0f);
  }
  SUBCASE("sgd") {
    for (const SgdParams p : {SgdParams{0.1f, 0.0f, 0.0f, false}, SgdParams{0.1f, 0.9f, 0.01f, true},
                              SgdParams{0.05f, 0.5f, 0.0f, false}}) {
      std::vector<float> w = w0, v(w0.size(), 0.1f), wk = w0, vk = v;
      for (int step = 0; step < 3; ++step) {
        cpu.sgd_update(p, w.data(), g.data(), p.momentum != 0.0f ? v.data() : nullptr, n);
        for (int64_t i = 0; i < n; ++i) km::sgd(p, wk[static_cast<size_t>(i)], g[static_cast<size_t>(i)], p.momentum != 0.0f ? &vk[static_cast<size_t>(i)] : nullptr);
      }
      for (size_t i = 0; i < w.size(); ++i) CHECK(close(wk[i], w[i]));
    }
  }
  SUBCASE("adam and adamw") {
    for (const bool pytorch : {false, true}) {
      std::vector<float> w = w0, m(w0.size(), 0.0f), v(w0.size(), 0.0f), wk = w, mk = m, vk = v;
      for (int64_t step = 1; step <= 3; ++step) {
        const AdamParams p{0.01f, 0.9f, 0.999f, 1e-7f, 0.001f, pytorch ? 0.01f : 0.0f, step, pytorch};
        cpu.adam_update(p, w.data(), g.data(), m.data(), v.data(), n);
        const km::AdamStep s = km::adam_step(p);
        for (size_t i = 0; i < w.size(); ++i) km::adam(s, wk[i], g[i], mk[i], vk[i]);
      }
      for (size_t i = 0; i < w.size(); ++i) CHECK(close(wk[i], w[i]));
    }
  }
  SUBCASE("rmsprop") {
    for (const RmspropParams p : {RmspropParams{0.01f, 0.9f, 0.0f, 1e-7f, false}, RmspropParams{0.01f, 0.9f, 0.5f, 1e-7f, true}}) {
      std::vector<float> w = w0, v(w0.size(), 0.0f), a(w0.size(), 0.0f), mom(w0.size(), 0.0f);
      std::vector<float> wk = w, vk = v, ak = a, momk = mom;
      const bool with_mom = p.momentum > 0.0f;
      for (int step = 0; step < 3; ++step) {
        cpu.rmsprop_update(p, w.data(), g.data(), v.data(), a.data(), with_mom ? mom.data() : nullptr, n);
        for (size_t i = 0; i < w.size(); ++i) km::rmsprop(p, wk[i], g[i], vk[i], &ak[i], with_mom ? &momk[i] : nullptr);
      }
      for (size_t i = 0; i < w.size(); ++i) CHECK(close(wk[i], w[i]));
    }
  }
  SUBCASE("adagrad") {
    const AdagradParams p{0.1f, 1e-7f};
    std::vector<float> w = w0, acc(w0.size(), 0.1f), wk = w, acck = acc;
    for (int step = 0; step < 3; ++step) {
      cpu.adagrad_update(p, w.data(), g.data(), acc.data(), n);
      for (size_t i = 0; i < w.size(); ++i) km::adagrad(p, wk[i], g[i], acck[i]);
    }
    for (size_t i = 0; i < w.size(); ++i) CHECK(close(wk[i], w[i]));
  }
}

TEST_CASE("the CUDA conversion kernels round and saturate as Tensor::to(DType) on the host, bit for bit") {
  // Every float16 and bfloat16 pattern back to float, and floats across the ranges to them.
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float h = to_float(Half{static_cast<uint16_t>(bits)}), k = km::from_half_bits(static_cast<uint16_t>(bits));
    CHECK((std::memcmp(&h, &k, 4) == 0 || (std::isnan(h) && std::isnan(k))));
    const float b = to_float(BFloat16{static_cast<uint16_t>(bits)}), kb = km::from_bfloat16_bits(static_cast<uint16_t>(bits));
    CHECK(std::memcmp(&b, &kb, 4) == 0);
  }
  Generator gen(11);
  std::vector<float> values{0.0f, -0.0f, 1e-8f, 5.96e-8f, 6.1e-5f, 65504.0f, 65520.0f, 1e30f,
                            std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()};
  for (int i = 0; i < 20000; ++i) values.push_back(std::ldexp(gen.uniform(-1.0f, 1.0f), static_cast<int>(gen.below(80)) - 40));
  for (float f : values) {
    CAPTURE(f);
    CHECK(km::to_half_bits(f) == to_half(f).bits);
    CHECK(km::to_bfloat16_bits(f) == to_bfloat16(f).bits);
  }
  for (double v : {0.0, -0.5, 1.9, -1.9, 255.5, 256.0, -1.0, 3e9, -3e9, 1e19, -1e19,
                   std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    CAPTURE(v);
    CHECK(km::to_integer<uint8_t>(v, 0, 255) == detail::to_integer<uint8_t>(v));
    CHECK(km::to_integer<int32_t>(v, INT32_MIN, INT32_MAX) == detail::to_integer<int32_t>(v));
    CHECK(km::to_integer<int64_t>(v, INT64_MIN, INT64_MAX) == detail::to_integer<int64_t>(v));
  }
  for (double x : {0.0, 9.0, 10.0, -1.0, 2.5, std::numeric_limits<double>::quiet_NaN()})
    CHECK(km::is_class_index(x, 10) == (x >= 0.0 && x < 10.0 && std::floor(x) == x));
}
