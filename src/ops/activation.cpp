#include "nn/ops/activation.hpp"

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

Variable unary_op(UnaryOp op, const Variable& x, float alpha = 0.0f) {
  Tensor y(x.shape(), x.device());
  backend_for(x.device()).unary(op, alpha, x.value().data_ptr(), y.data_ptr(), y.numel());
  return make_variable(y, {x}, [op, alpha, y](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(g.shape(), g.device());
    backend_for(g.device())
        .unary_backward(op, alpha, in[0].value().data_ptr(), y.data_ptr(), g.data_ptr(), dx.data_ptr(), g.numel());
    in[0].add_grad(dx);
  });
}

}  // namespace

Variable relu(const Variable& x) { return unary_op(UnaryOp::Relu, x); }
Variable relu6(const Variable& x) { return unary_op(UnaryOp::Relu6, x); }
Variable leaky_relu(const Variable& x, float negative_slope) {
  return unary_op(UnaryOp::LeakyRelu, x, negative_slope);
}
Variable elu(const Variable& x, float alpha) { return unary_op(UnaryOp::Elu, x, alpha); }
Variable selu(const Variable& x) { return unary_op(UnaryOp::Selu, x); }
Variable gelu(const Variable& x) { return unary_op(UnaryOp::Gelu, x); }
Variable sigmoid(const Variable& x) { return unary_op(UnaryOp::Sigmoid, x); }
Variable hard_sigmoid(const Variable& x) { return unary_op(UnaryOp::HardSigmoid, x); }
Variable log_sigmoid(const Variable& x) { return unary_op(UnaryOp::LogSigmoid, x); }
Variable tanh(const Variable& x) { return unary_op(UnaryOp::Tanh, x); }
Variable softplus(const Variable& x) { return unary_op(UnaryOp::Softplus, x); }
Variable softsign(const Variable& x) { return unary_op(UnaryOp::Softsign, x); }
Variable silu(const Variable& x) { return unary_op(UnaryOp::Silu, x); }
Variable hard_silu(const Variable& x) { return unary_op(UnaryOp::HardSilu, x); }
Variable mish(const Variable& x) { return unary_op(UnaryOp::Mish, x); }
Variable exp(const Variable& x) { return unary_op(UnaryOp::Exp, x); }
Variable log(const Variable& x) { return unary_op(UnaryOp::Log, x); }
Variable square(const Variable& x) { return unary_op(UnaryOp::Square, x); }
Variable sqrt(const Variable& x) { return unary_op(UnaryOp::Sqrt, x); }
Variable abs(const Variable& x) { return unary_op(UnaryOp::Abs, x); }

}  // namespace nn
