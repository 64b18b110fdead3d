// Bias and a fused activation on a layer's output, and their gradient: the epilogue of dense and
// convolution layers, one pass over the output instead of one per op.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_backend.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {

// y(n) = act(y + b) for one bias value (a channel's row) or, with `row_bias`, b[i] per element.
template <Epilogue act, bool row_bias>
inline void epilogue_row(float* __restrict y, const float* __restrict bias, float b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float v = y[i] + (row_bias ? bias[i] : b);
    if constexpr (act == Epilogue::Relu) v = v > 0.0f ? v : 0.0f;
    if constexpr (act == Epilogue::Sigmoid) v = 1.0f / (1.0f + std::exp(-v));
    if constexpr (act == Epilogue::Tanh) v = std::tanh(v);
    y[i] = v;
  }
}

template <bool row_bias>
NN_MULTIVERSION void epilogue_row(float* y, const float* bias, float b, int64_t n, Epilogue act) {
  switch (act) {
    case Epilogue::None: return epilogue_row<Epilogue::None, row_bias>(y, bias, b, n);
    case Epilogue::Relu: return epilogue_row<Epilogue::Relu, row_bias>(y, bias, b, n);
    case Epilogue::Sigmoid: return epilogue_row<Epilogue::Sigmoid, row_bias>(y, bias, b, n);
    case Epilogue::Tanh: return epilogue_row<Epilogue::Tanh, row_bias>(y, bias, b, n);
  }
}

// dz(n) = dy act'(y); returns the sum of dz.
template <Epilogue act>
inline float epilogue_grad_row(const float* __restrict y, const float* __restrict dy, float* dz, int64_t n) {
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    float d = dy[i];
    if constexpr (act == Epilogue::Relu) d = y[i] > 0.0f ? d : 0.0f;
    if constexpr (act == Epilogue::Sigmoid) d = d * y[i] * (1.0f - y[i]);
    if constexpr (act == Epilogue::Tanh) d = d * (1.0f - y[i] * y[i]);
    if (dz) dz[i] = d;
    s += d;
  }
  return s;
}

NN_MULTIVERSION float epilogue_grad_row(const float* y, const float* dy, float* dz, int64_t n, Epilogue act) {
  switch (act) {
    case Epilogue::None: return epilogue_grad_row<Epilogue::None>(y, dy, dz, n);
    case Epilogue::Relu: return epilogue_grad_row<Epilogue::Relu>(y, dy, dz, n);
    case Epilogue::Sigmoid: return epilogue_grad_row<Epilogue::Sigmoid>(y, dy, dz, n);
    case Epilogue::Tanh: return epilogue_grad_row<Epilogue::Tanh>(y, dy, dz, n);
  }
  return 0.0f;
}
}  // namespace

void bias_activation_serial(float* y, const float* bias, int64_t channels, int64_t inner, Epilogue act) {
  if (!bias && act == Epilogue::None) return;
  for (int64_t c = 0; c < channels; ++c)
    epilogue_row<false>(y + c * inner, nullptr, bias ? bias[c] : 0.0f, inner, act);
}

void bias_activation_backward_serial(const float* y, const float* dy, float* dz, float* db, int64_t channels,
                                     int64_t inner, Epilogue act) {
  for (int64_t c = 0; c < channels; ++c) {
    const float s = epilogue_grad_row(y ? y + c * inner : nullptr, dy + c * inner, dz ? dz + c * inner : nullptr,
                                      inner, act);
    if (db) db[c] += s;
  }
}

void CpuBackend::bias_activation(float* y, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                                 Epilogue act) {
  if (!bias && act == Epilogue::None) return;
  if (inner == 1) {  // (outer, channels) rows, as after a dense layer
    parallel_for(outer, std::max<int64_t>(1, kGrain / channels), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        if (bias)
          epilogue_row<true>(y + o * channels, bias, 0.0f, channels, act);
        else
          epilogue_row<false>(y + o * channels, nullptr, 0.0f, channels, act);
      }
    });
    return;
  }
  parallel_for(outer * channels, std::max<int64_t>(1, kGrain / inner), [&](int64_t b, int64_t e) {
    for (int64_t oc = b; oc < e; ++oc)
      epilogue_row<false>(y + oc * inner, nullptr, bias ? bias[oc % channels] : 0.0f, inner, act);
  });
}

void CpuBackend::bias_activation_backward(const float* y, const float* dy, float* dz, float* db, int64_t outer,
                                          int64_t channels, int64_t inner, Epilogue act) {
  if (act != Epilogue::None && dz) {  // dz first (elementwise), then db from it
    parallel_for(outer * channels * inner, kGrain, [&](int64_t b, int64_t e) {
      epilogue_grad_row(y + b, dy + b, dz + b, e - b, act);
    });
  } else if (act != Epilogue::None) {
    throw std::invalid_argument("bias_activation_backward: an activation's gradient needs dz");
  } else if (dz && dz != dy) {
    copy(dy, dz, outer * channels * inner);
  }
  if (!db) return;
  const float* g = act == Epilogue::None ? dy : dz;
  if (inner == 1) {  // column sums of (outer, channels): rows added in order, in double
    parallel_for(channels, 64, [&](int64_t b, int64_t e) {
      thread_local std::vector<double> s;  // reused: no allocation in the steady state
      s.assign(static_cast<size_t>(e - b), 0.0);
      for (int64_t o = 0; o < outer; ++o) {
        const float* row = g + o * channels + b;
        for (int64_t c = 0; c < e - b; ++c) s[static_cast<size_t>(c)] += row[c];
      }
      for (int64_t c = b; c < e; ++c) db[c] = static_cast<float>(s[static_cast<size_t>(c - b)]);
    });
    return;
  }
  parallel_for(channels, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, outer * inner)), [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double s = 0.0;
      for (int64_t o = 0; o < outer; ++o)
        s += epilogue_grad_row(nullptr, g + (o * channels + c) * inner, nullptr, inner, Epilogue::None);
      db[c] = static_cast<float>(s);
    }
  });
}

}  // namespace nn::detail
