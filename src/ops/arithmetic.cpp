#include "nn/ops/arithmetic.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

Tensor reduce_grad(const Tensor& g, const Shape& to) {
  if (g.shape() == to) return g;
  Tensor out(to, g.device());
  backend_for(g.device()).reduce_to_shape(g.data_ptr(), g.shape(), out.data_ptr(), to);
  return out;
}

Tensor binary_tensor(BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor out(broadcast_shapes(a.shape(), b.shape()), a.device());
  backend_for(a.device()).binary(op, a.data_ptr(), a.shape(), b.data_ptr(), b.shape(), out.data_ptr(), out.shape());
  return out;
}

}  // namespace

Variable add(const Variable& a, const Variable& b) {
  check_same_device("add", a.value(), b.value());
  return make_variable(binary_tensor(BinaryOp::Add, a.value(), b.value()), {a, b},
                       [](std::vector<Variable>& in, const Tensor& g) {
                         in[0].add_grad(reduce_grad(g, in[0].shape()));
                         in[1].add_grad(reduce_grad(g, in[1].shape()));
                       });
}

Variable sub(const Variable& a, const Variable& b) {
  check_same_device("sub", a.value(), b.value());
  return make_variable(binary_tensor(BinaryOp::Sub, a.value(), b.value()), {a, b},
                       [](std::vector<Variable>& in, const Tensor& g) {
                         in[0].add_grad(reduce_grad(g, in[0].shape()));
                         if (!in[1].requires_grad()) return;
                         Tensor ng(g.shape(), g.device());
                         backend_for(g.device()).scale(g.numel(), -1.0f, g.data_ptr(), ng.data_ptr());
                         in[1].add_grad(reduce_grad(ng, in[1].shape()));
                       });
}

Variable mul(const Variable& a, const Variable& b) {
  check_same_device("mul", a.value(), b.value());
  return make_variable(binary_tensor(BinaryOp::Mul, a.value(), b.value()), {a, b},
                       [](std::vector<Variable>& in, const Tensor& g) {
                         if (in[0].requires_grad())
                           in[0].add_grad(reduce_grad(binary_tensor(BinaryOp::Mul, g, in[1].value()), in[0].shape()));
                         if (in[1].requires_grad())
                           in[1].add_grad(reduce_grad(binary_tensor(BinaryOp::Mul, g, in[0].value()), in[1].shape()));
                       });
}

Variable div(const Variable& a, const Variable& b) {
  check_same_device("div", a.value(), b.value());
  Tensor out = binary_tensor(BinaryOp::Div, a.value(), b.value());
  return make_variable(out, {a, b}, [out](std::vector<Variable>& in, const Tensor& g) {
    Tensor gb = binary_tensor(BinaryOp::Div, g, in[1].value());  // g / b
    if (in[0].requires_grad()) in[0].add_grad(reduce_grad(gb, in[0].shape()));
    if (in[1].requires_grad()) {  // d(a/b)/db = -(a/b)/b
      Tensor t = binary_tensor(BinaryOp::Mul, gb, out);
      backend_for(t.device()).scale(t.numel(), -1.0f, t.data_ptr(), t.data_ptr());
      in[1].add_grad(reduce_grad(t, in[1].shape()));
    }
  });
}

Variable scale(const Variable& x, float alpha) {
  Tensor out(x.shape(), x.device());
  backend_for(x.device()).scale(out.numel(), alpha, x.value().data_ptr(), out.data_ptr());
  return make_variable(out, {x}, [alpha](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(g.shape(), g.device());
    backend_for(g.device()).scale(g.numel(), alpha, g.data_ptr(), dx.data_ptr());
    in[0].add_grad(dx);
  });
}

Variable neg(const Variable& x) { return scale(x, -1.0f); }

}  // namespace nn
