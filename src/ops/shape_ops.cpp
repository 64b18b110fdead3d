#include "nn/ops/shape_ops.hpp"

#include <stdexcept>

namespace nn {

Variable reshape(const Variable& x, const Shape& shape) {
  Tensor y = x.value().reshape(shape);
  return make_variable(y, {x}, [](std::vector<Variable>& in, const Tensor& g) {
    in[0].add_grad(g.reshape(in[0].shape()));
  });
}

Variable flatten(const Variable& x) {
  if (x.value().ndim() < 1) throw std::invalid_argument("flatten: needs a batch dimension");
  return reshape(x, {x.shape()[0], -1});
}

}  // namespace nn
