#include "nn/ops/softmax.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

Variable softmax_op(const Variable& x, bool log) {
  if (x.value().ndim() < 1) throw std::invalid_argument("softmax: needs at least one dimension");
  const int64_t cols = x.value().dim(-1), rows = cols ? x.value().numel() / cols : 0;
  Tensor y(x.shape(), x.device());
  backend_for(x.device()).softmax(x.value().data_ptr(), y.data_ptr(), rows, cols, log);
  return make_variable(y, {x}, [y, rows, cols, log](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(g.shape(), g.device());
    backend_for(g.device()).softmax_backward(y.data_ptr(), g.data_ptr(), dx.data_ptr(), rows, cols, log);
    in[0].add_grad(dx);
  });
}

}  // namespace

Variable softmax(const Variable& x) { return softmax_op(x, false); }
Variable log_softmax(const Variable& x) { return softmax_op(x, true); }

}  // namespace nn
