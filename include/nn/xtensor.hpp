#pragma once
// The one header through which nn includes xtensor and xtensor-blas (xtensor 0.26 moved its
// headers; an upgrade changes only this file). Also the bridge for users who hold their data
// in xtensor containers.
#if __has_include(<xtensor/containers/xarray.hpp>)  // xtensor >= 0.26
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xarray.hpp>
#include <xtensor/core/xmath.hpp>
#include <xtensor/core/xnoalias.hpp>
#include <xtensor/views/xbroadcast.hpp>
#include <xtensor/reducers/xreducer.hpp>
#else
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbroadcast.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xreducer.hpp>
#endif
#include <xtensor-blas/xlinalg.hpp>

#include <vector>

#include "nn/tensor.hpp"

namespace nn {

// A non-owning xtensor view of a CPU tensor's memory (the tensor must outlive it).
inline auto as_xtensor(Tensor& t) {
  std::vector<size_t> shape(t.shape().begin(), t.shape().end());
  return xt::adapt(t.data(), static_cast<size_t>(t.numel()), xt::no_ownership(), shape);
}
inline auto as_xtensor(const Tensor& t) {
  std::vector<size_t> shape(t.shape().begin(), t.shape().end());
  return xt::adapt(t.data(), static_cast<size_t>(t.numel()), xt::no_ownership(), shape);
}

// A CPU tensor holding a copy of an xtensor expression's values.
template <class E>
Tensor from_xtensor(const xt::xexpression<E>& expr) {
  xt::xarray<float> values = expr;  // evaluates and converts to float, row-major
  Shape shape(values.shape().begin(), values.shape().end());
  Tensor t(shape);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

}  // namespace nn
