#include "nn/random.hpp"

#include <cmath>

namespace nn {

uint64_t Generator::next_u64() {
  return mix64(state_ += kGolden64);
}

float Generator::uniform() { return static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f); }

float Generator::uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }

float Generator::normal() {
  // Box-Muller on two fresh uniforms (u1 in (0, 1] so the log is finite).
  const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

uint64_t Generator::below(uint64_t n) {
  // Rejection sampling: unbiased for any n.
  const uint64_t limit = ~uint64_t{0} - (~uint64_t{0} % n);
  uint64_t r;
  do r = next_u64();
  while (r >= limit);
  return r % n;
}

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().seed(seed); }

}  // namespace nn
