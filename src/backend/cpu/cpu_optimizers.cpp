// Fused optimizer updates: one pass over each parameter, its gradient and its slots.
#include <cmath>

#include "cpu_backend.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace nn::detail {

void CpuBackend::sgd_update(const SgdParams& p, float* w, const float* g, float* velocity, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float gi = g[i] + p.weight_decay * w[i];
      if (p.momentum == 0.0f || !velocity) {
        w[i] -= p.lr * gi;
        continue;
      }
      const float v = p.momentum * velocity[i] - p.lr * gi;
      velocity[i] = v;
      w[i] += p.nesterov ? p.momentum * v - p.lr * gi : v;
    }
  });
}

namespace {
// One chunk of Adam's update, with every coefficient in a local and the four arrays declared
// unaliased, so the loop vectorises (at the CPU's width: simd.hpp).
NN_MULTIVERSION void adam_chunk(float* __restrict w, const float* __restrict g, float* __restrict m,
                                float* __restrict v, int64_t n, float one_minus_b1, float one_minus_b2,
                                float weight_decay, float shrink, float lr_t, float eps) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + weight_decay * w[i];
    const float mi = m[i] + (gi - m[i]) * one_minus_b1;
    const float vi = v[i] + (gi * gi - v[i]) * one_minus_b2;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * shrink - lr_t * mi / (std::sqrt(vi) + eps);
  }
}
}  // namespace

void CpuBackend::adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v, int64_t n) {
  const double t = static_cast<double>(p.step);
  const double correction2 = std::sqrt(1.0 - std::pow(p.beta2, t));
  const auto lr_t = static_cast<float>(p.lr * correction2 / (1.0 - std::pow(p.beta1, t)));
  const auto eps = static_cast<float>(p.pytorch_epsilon ? p.epsilon * correction2 : p.epsilon);
  const float shrink = 1.0f - p.lr * p.decoupled_weight_decay;
  const float one_minus_b1 = 1.0f - p.beta1, one_minus_b2 = 1.0f - p.beta2, weight_decay = p.weight_decay;
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    adam_chunk(w + b, g + b, m + b, v + b, e - b, one_minus_b1, one_minus_b2, weight_decay, shrink, lr_t, eps);
  });
}

void CpuBackend::rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g,
                                float* mom, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float gi = g[i];
      v[i] = p.rho * v[i] + (1.0f - p.rho) * gi * gi;
      float denominator = v[i];
      if (p.centered) {
        avg_g[i] = p.rho * avg_g[i] + (1.0f - p.rho) * gi;
        denominator -= avg_g[i] * avg_g[i];
      }
      const float step = p.lr * gi / std::sqrt(denominator + p.epsilon);
      if (mom) {
        mom[i] = p.momentum * mom[i] + step;
        w[i] -= mom[i];
      } else {
        w[i] -= step;
      }
    }
  });
}

void CpuBackend::adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      acc[i] += g[i] * g[i];
      w[i] -= p.lr * g[i] / std::sqrt(acc[i] + p.epsilon);
    }
  });
}

}  // namespace nn::detail
