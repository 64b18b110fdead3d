#include "ops/labels.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace nn::detail {

Tensor class_labels(const Tensor& y, int64_t classes, const std::string& what) {
  const Tensor host = y.to(Device::cpu());
  auto bad = [&](double v, int64_t row) {
    throw std::out_of_range(fmt::format("{}: label {} of row {} is not a class index in [0, {})", what, v, row, classes));
  };
  Tensor labels = host;
  if (is_floating(host.dtype())) {
    const Tensor f = host.to(kFloat32);
    const float* v = f.data();
    for (int64_t r = 0; r < f.numel(); ++r)
      if (!(v[r] >= 0.0f) || v[r] >= static_cast<float>(classes) || std::floor(v[r]) != v[r]) bad(v[r], r);
    labels = f.to(kInt64);
  } else {
    labels = host.to(kInt64);
    const int64_t* v = labels.data<int64_t>();
    for (int64_t r = 0; r < labels.numel(); ++r)
      if (v[r] < 0 || v[r] >= classes) bad(static_cast<double>(v[r]), r);
  }
  return labels.to(y.device());
}

}  // namespace nn::detail
