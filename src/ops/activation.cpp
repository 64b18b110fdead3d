#include "nn/ops/activation.hpp"

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

Variable unary_op(UnaryOp op, const Variable& x) {
  Tensor y(x.shape(), x.device());
  backend_for(x.device()).unary(op, x.value().data(), y.data(), y.numel());
  return make_variable(y, {x}, [op, y](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(g.shape(), g.device());
    backend_for(g.device()).unary_backward(op, in[0].value().data(), y.data(), g.data(), dx.data(),
                                           g.numel(), false);
    in[0].add_grad(dx);
  });
}

}  // namespace

Variable relu(const Variable& x) { return unary_op(UnaryOp::Relu, x); }
Variable sigmoid(const Variable& x) { return unary_op(UnaryOp::Sigmoid, x); }
Variable tanh(const Variable& x) { return unary_op(UnaryOp::Tanh, x); }
Variable exp(const Variable& x) { return unary_op(UnaryOp::Exp, x); }
Variable log(const Variable& x) { return unary_op(UnaryOp::Log, x); }
Variable square(const Variable& x) { return unary_op(UnaryOp::Square, x); }
Variable sqrt(const Variable& x) { return unary_op(UnaryOp::Sqrt, x); }
Variable abs(const Variable& x) { return unary_op(UnaryOp::Abs, x); }

}  // namespace nn
