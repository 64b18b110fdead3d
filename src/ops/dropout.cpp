#include "nn/ops/dropout.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"
#include "nn/ops/arithmetic.hpp"

namespace nn {

Variable dropout(const Variable& x, float rate, bool training, Generator& gen) {
  if (!(rate >= 0.0f && rate < 1.0f))
    throw std::invalid_argument("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (!training || rate == 0.0f) return x;
  Tensor y(x.shape(), x.device());
  Tensor mask(x.shape(), x.device());
  backend_for(x.device()).dropout(x.value().data_ptr(), y.data_ptr(), mask.data_ptr(), y.numel(), rate,
                                  gen.next_u64(), 0);
  return make_variable(y, {x}, [mask](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(g.shape(), g.device());
    backend_for(g.device()).binary(BinaryOp::Mul, g.data_ptr(), g.shape(), mask.data_ptr(), mask.shape(),
                                   dx.data_ptr(), dx.shape());
    in[0].add_grad(dx);
  });
}

}  // namespace nn
