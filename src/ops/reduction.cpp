#include "nn/ops/reduction.hpp"

#include "nn/backend/backend.hpp"
#include "nn/ops/arithmetic.hpp"

namespace nn {
namespace {

// g broadcast from `from` to `to` (to = broadcast_shapes(from, to)).
Tensor broadcast_to(const Tensor& g, const Shape& to) {
  if (g.shape() == to) return g;
  Tensor zero = Tensor::scalar(0.0f, g.device());
  Tensor out(to, g.device());
  backend_for(g.device()).binary(BinaryOp::Add, g.data_ptr(), g.shape(), zero.data_ptr(), zero.shape(),
                                 out.data_ptr(), to);
  return out;
}

}  // namespace

Variable sum(const Variable& x) {
  Tensor out = Tensor::empty({}, x.device());
  backend_for(x.device()).sum(x.value().data_ptr(), out.data_ptr(), x.value().numel());
  return make_variable(out, {x}, [](std::vector<Variable>& in, const Tensor& g) {
    in[0].add_grad(broadcast_to(g, in[0].shape()));
  });
}

Variable mean(const Variable& x) {
  return scale(sum(x), 1.0f / static_cast<float>(std::max<int64_t>(1, x.value().numel())));
}

Variable sum(const Variable& x, int axis, bool keepdims) {
  const int a = normalize_axis(axis, x.value().ndim());
  Shape kept = x.shape();
  kept[static_cast<size_t>(a)] = 1;
  Tensor out(kept, x.device());
  backend_for(x.device()).reduce_to_shape(x.value().data_ptr(), x.shape(), out.data_ptr(), kept);
  Shape final_shape = kept;
  if (!keepdims) final_shape.erase(final_shape.begin() + a);
  return make_variable(out.reshape(final_shape), {x}, [kept](std::vector<Variable>& in, const Tensor& g) {
    in[0].add_grad(broadcast_to(g.reshape(kept), in[0].shape()));
  });
}

Variable mean(const Variable& x, int axis, bool keepdims) {
  const int64_t n = x.value().dim(axis);
  return scale(sum(x, axis, keepdims), 1.0f / static_cast<float>(std::max<int64_t>(1, n)));
}

Variable reduce(const Variable& x, Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean: return mean(x);
    case Reduction::Sum: return sum(x);
    case Reduction::None: return x;
  }
  return x;
}

Variable clip(const Variable& x, float lo, float hi) {
  Tensor y(x.shape(), x.device());
  backend_for(x.device()).clip(x.value().data_ptr(), y.data_ptr(), y.numel(), lo, hi);
  return make_variable(y, {x}, [lo, hi](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(g.shape(), g.device());
    backend_for(g.device()).clip_backward(in[0].value().data_ptr(), g.data_ptr(), dx.data_ptr(), g.numel(), lo, hi);
    in[0].add_grad(dx);
  });
}

}  // namespace nn
