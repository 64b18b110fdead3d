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

namespace {
// Along the outermost axis: each input's rows follow the previous one's, one copy each.
Variable concatenate_rows(const std::vector<Variable>& xs) {
  Shape shape = xs[0].shape();
  shape[0] = 0;
  for (const auto& x : xs) shape[0] += x.shape()[0];
  Tensor y(shape, xs[0].device());
  Backend& be = backend_for(y.device());
  int64_t at = 0;
  std::vector<int64_t> rows;
  for (const auto& x : xs) {
    be.copy(x.value().data_ptr(), y.data_ptr() + at, x.value().numel());
    at += x.value().numel();
    rows.push_back(x.shape()[0]);
  }
  return make_variable(y, xs, [rows](std::vector<Variable>& in, const Tensor& g) {
    int64_t r = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      in[i].add_grad(g.slice(r, r + rows[i]));
      r += rows[i];
    }
  });
}
}  // namespace

Variable concatenate(const std::vector<Variable>& xs, int axis) {
  if (xs.empty()) throw std::invalid_argument("concatenate: no tensors");
  const Shape& first = xs[0].shape();
  const int rank = static_cast<int>(first.size());
  if (rank == 0) throw std::invalid_argument("concatenate: scalars have no axis to join along");
  const int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank)
    throw std::invalid_argument("concatenate: axis " + std::to_string(axis) + " is out of range for shape " +
                                to_string(first));
  for (const auto& x : xs) {
    const Shape& s = x.shape();
    bool fits = s.size() == first.size() && x.device() == xs[0].device() && x.value().dtype() == kFloat32;
    for (int d = 0; fits && d < rank; ++d) fits = d == a || s[static_cast<size_t>(d)] == first[static_cast<size_t>(d)];
    if (!fits)
      throw std::invalid_argument("concatenate: shapes " + to_string(first) + " and " + to_string(s) +
                                  " differ outside axis " + std::to_string(axis) + " (or in device or dtype)");
  }
  if (xs.size() == 1) return xs[0];
  bool leading = true;  // every extent before the axis is 1: the rows are already in order
  for (int d = 0; d < a; ++d) leading = leading && first[static_cast<size_t>(d)] == 1;
  if (leading) {
    std::vector<Variable> flat;
    for (const auto& x : xs) {
      Shape s(x.shape().begin() + a, x.shape().end());
      flat.push_back(reshape(x, s));
    }
    Variable y = concatenate_rows(flat);
    Shape out = first;
    out[static_cast<size_t>(a)] = y.shape()[0];
    return reshape(y, out);
  }
  // The axis brought to the front, joined there, and put back.
  std::vector<int> to_front{a}, back(static_cast<size_t>(rank));
  for (int d = 0; d < rank; ++d)
    if (d != a) to_front.push_back(d);
  for (int d = 0; d < rank; ++d) back[static_cast<size_t>(to_front[static_cast<size_t>(d)])] = d;
  std::vector<Variable> moved;
  for (const auto& x : xs) moved.push_back(permute(x, to_front));
  return permute(concatenate_rows(moved), back);
}

Variable transpose(const Variable& x) {
  if (x.value().ndim() != 2)
    throw std::invalid_argument("transpose: expects a 2-d tensor, got " + to_string(x.shape()));
  return permute(x, {1, 0});
}

}  // namespace nn
