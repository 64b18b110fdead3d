#include "nn/ops/dropout.hpp"

#include <stdexcept>
#include <string>

#include "nn/backend/backend.hpp"
#include "nn/ops/arithmetic.hpp"

namespace nn {

void check_rows(const DropoutRows& rows, const std::string& what) {
  if (rows.first < 0 || rows.stride < 1 || rows.first >= rows.stride)
    throw std::invalid_argument(what + ": rows need 0 <= first < stride, got first " + std::to_string(rows.first) +
                                ", stride " + std::to_string(rows.stride));
}

Variable dropout(const Variable& x, float rate, bool training, Generator& gen, DropoutRows rows) {
  check_rows(rows, "dropout");
  if (!(rate >= 0.0f && rate < 1.0f))
    throw std::invalid_argument("dropout: rate must be in [0, 1), got " + std::to_string(rate));
  if (!training || rate == 0.0f) return x;
  Tensor y(x.shape(), x.device());
  Tensor mask(x.shape(), x.device());
  Backend& be = backend_for(x.device());
  const uint64_t seed = gen.next_u64();
  if ((rows.first == 0 && rows.stride == 1) || x.shape().empty() || x.shape()[0] == 0) {
    be.dropout(x.value().data_ptr(), y.data_ptr(), mask.data_ptr(), y.numel(), rate, seed, 0);
  } else {  // row j draws at global row first + j * stride's counters
    const int64_t n = x.shape()[0], per_row = y.numel() / n;
    for (int64_t j = 0; j < n; ++j)
      be.dropout(x.value().data_ptr() + j * per_row, y.data_ptr() + j * per_row, mask.data_ptr() + j * per_row, per_row,
                 rate, seed, static_cast<uint64_t>((rows.first + j * rows.stride) * per_row));
  }
  return make_variable(y, {x}, [mask](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(g.shape(), g.device());
    backend_for(g.device()).binary(BinaryOp::Mul, g.data_ptr(), g.shape(), mask.data_ptr(), mask.shape(),
                                   dx.data_ptr(), dx.shape());
    in[0].add_grad(dx);
  });
}

}  // namespace nn
