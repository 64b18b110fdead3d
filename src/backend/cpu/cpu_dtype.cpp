// Element types: conversion between dtypes, and the check that labels are class indices.
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "cpu_backend.hpp"
#include "util/dtype_convert.hpp"

namespace nn::detail {

void CpuBackend::convert(const void* src, DType from, void* dst, DType to, int64_t n) {
  convert_elements(src, from, dst, to, n);
}

void CpuBackend::check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                                    const std::string& what) {
  with_type(dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* v = static_cast<const T*>(labels);
    for (int64_t r = 0; r < n; ++r) {
      const double x = as_double(v[r]);
      if (!(x >= 0.0) || x >= static_cast<double>(classes) || std::floor(x) != x)
        throw std::out_of_range(
            fmt::format("{}: label {} of row {} is not a class index in [0, {})", what, x, r, classes));
    }
  });
}

}  // namespace nn::detail
