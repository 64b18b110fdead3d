#include "nn/ops/shape_ops.hpp"

#include "backend/fallback.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {

Variable reshape(const Variable& x, const Shape& shape) {
  Tensor y = x.value().reshape(shape);
  return make_variable(
      y, {x}, [](std::vector<Variable>& in, const Tensor& g) { in[0].add_grad(g.reshape(in[0].shape())); });
}

Variable flatten(const Variable& x) {
  if (x.value().ndim() < 1) throw std::invalid_argument("flatten: needs a batch dimension");
  return reshape(x, {x.shape()[0], -1});
}

Shape permuted_shape(const Shape& shape, const std::vector<int>& axes) {
  std::vector<bool> seen(shape.size(), false);
  if (axes.size() != shape.size())
    throw std::invalid_argument("permute: " + std::to_string(axes.size()) + " axes for a tensor of shape " +
                                to_string(shape));
  Shape out;
  for (int a : axes) {
    if (a < 0 || a >= static_cast<int>(shape.size()) || seen[static_cast<size_t>(a)])
      throw std::invalid_argument("permute: the axes are not a permutation of 0.." +
                                  std::to_string(shape.size() - 1));
    seen[static_cast<size_t>(a)] = true;
    out.push_back(shape[static_cast<size_t>(a)]);
  }
  return out;
}

Variable permute(const Variable& x, const std::vector<int>& axes) {
  Tensor y(permuted_shape(x.shape(), axes), x.device());
  detail::run_kernel(Kernel::Permute, {&x.value()}, {&y}, [&](Backend& be, const auto& in, const auto& o) {
    be.permute(detail::as<float>(in[0]), x.shape(), axes, detail::as<float>(o[0]));
  });
  return make_variable(y, {x}, [axes](std::vector<Variable>& in, const Tensor& g) {
    std::vector<int> inverse(axes.size());
    for (size_t i = 0; i < axes.size(); ++i) inverse[static_cast<size_t>(axes[i])] = static_cast<int>(i);
    Tensor dx(in[0].shape(), g.device());
    detail::run_kernel(Kernel::Permute, {&g}, {&dx}, [&](Backend& be, const auto& gin, const auto& o) {
      be.permute(detail::as<float>(gin[0]), g.shape(), inverse, detail::as<float>(o[0]));
    });
    in[0].add_grad(dx);
  });
}

Variable transpose(const Variable& x) {
  if (x.value().ndim() != 2)
    throw std::invalid_argument("transpose: expects a 2-d tensor, got " + to_string(x.shape()));
  return permute(x, {1, 0});
}

}  // namespace nn
