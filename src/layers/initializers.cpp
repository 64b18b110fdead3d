#include "nn/layers/initializers.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

namespace nn {
namespace {
constexpr float kTruncatedStddevCorrection = 0.87962566103423978f;

float truncated_normal(Generator& gen) {
  for (;;) {
    const float z = gen.normal();
    if (std::fabs(z) <= 2.0f) return z;
  }
}
}  // namespace

bool is_initializer(const std::string& n) {
  return n == "glorot_uniform" || n == "glorot_normal" || n == "he_normal" || n == "he_uniform" ||
         n == "zeros" || n == "ones";
}

Tensor initialize(const std::string& name, const Shape& shape, int64_t fan_in, int64_t fan_out,
                  Generator& gen) {
  const auto n = static_cast<size_t>(numel(shape));
  std::vector<float> v(n);
  const auto fi = static_cast<float>(std::max<int64_t>(1, fan_in));
  const auto fo = static_cast<float>(std::max<int64_t>(1, fan_out));
  if (name == "zeros" || name == "ones") {
    std::fill(v.begin(), v.end(), name == "ones" ? 1.0f : 0.0f);
  } else if (name == "glorot_uniform" || name == "he_uniform") {
    const float limit = name == "glorot_uniform" ? std::sqrt(6.0f / (fi + fo)) : std::sqrt(6.0f / fi);
    for (auto& x : v) x = gen.uniform(-limit, limit);
  } else if (name == "glorot_normal" || name == "he_normal") {
    const float stddev = (name == "he_normal" ? std::sqrt(2.0f / fi) : std::sqrt(2.0f / (fi + fo))) /
                         kTruncatedStddevCorrection;
    for (auto& x : v) x = stddev * truncated_normal(gen);
  } else {
    throw std::invalid_argument("unknown initializer '" + name +
                                "' (expected glorot_uniform, glorot_normal, he_normal, he_uniform, zeros or ones)");
  }
  return Tensor::from_vector(shape, v);
}

}  // namespace nn
