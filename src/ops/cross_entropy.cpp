#include "nn/ops/cross_entropy.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"
#include "ops/labels.hpp"

namespace nn {

Variable softmax_cross_entropy(const Variable& logits, const Tensor& targets, Reduction reduction) {
  const Shape& ls = logits.shape();
  if (ls.size() != 2)
    throw std::invalid_argument("softmax_cross_entropy: logits must be (N, C), got " + to_string(ls));
  const int64_t rows = ls[0], cols = ls[1];
  const bool sparse = targets.shape() == Shape{rows};
  if (!sparse && targets.shape() != ls)
    throw std::invalid_argument("softmax_cross_entropy: targets of shape " + to_string(targets.shape()) +
                                " for logits of shape " + to_string(ls) + " (expected (" +
                                std::to_string(rows) + ",) labels or " + to_string(ls) + " one-hot)");
  check_same_device("softmax_cross_entropy", logits.value(), targets);
  // Labels as int64 class indices, checked here; dense targets as float32.
  const Tensor target = sparse ? detail::class_labels(targets, cols, "softmax_cross_entropy") : targets.to(kFloat32);
  Backend& be = backend_for(logits.device());
  Tensor probs(ls, logits.device());
  Tensor per_row({rows}, logits.device());
  be.softmax_cross_entropy(logits.value().data_ptr(), sparse ? nullptr : target.data_ptr(),
                           sparse ? target.data_ptr<int64_t>() : nullptr, probs.data_ptr(), per_row.data_ptr(), rows, cols);
  Tensor out = per_row;
  if (reduction != Reduction::None) {
    out = Tensor::empty({}, logits.device());
    be.sum(per_row.data_ptr(), out.data_ptr(), rows);
    if (reduction == Reduction::Mean) be.scale(1, 1.0f / static_cast<float>(std::max<int64_t>(1, rows)), out.data_ptr(), out.data_ptr());
  }
  return make_variable(out, {logits}, [probs, target, sparse, rows, cols, reduction](
                                          std::vector<Variable>& in, const Tensor& g) {
    Backend& b = backend_for(g.device());
    Tensor dlogits({rows, cols}, g.device());
    if (reduction == Reduction::None) {
      Tensor one = Tensor::scalar(1.0f, g.device());
      b.softmax_cross_entropy_backward(probs.data_ptr(), sparse ? nullptr : target.data_ptr(),
                                       sparse ? target.data_ptr<int64_t>() : nullptr, one.data_ptr(), dlogits.data_ptr(), rows, cols);
      Tensor scaled({rows, cols}, g.device());  // row r times g[r]
      b.binary(BinaryOp::Mul, dlogits.data_ptr(), {rows, cols}, g.data_ptr(), {rows, 1}, scaled.data_ptr(), {rows, cols});
      in[0].add_grad(scaled);
      return;
    }
    Tensor s = Tensor::empty({}, g.device());
    const float k = reduction == Reduction::Mean ? 1.0f / static_cast<float>(std::max<int64_t>(1, rows)) : 1.0f;
    b.scale(1, k, g.data_ptr(), s.data_ptr());
    b.softmax_cross_entropy_backward(probs.data_ptr(), sparse ? nullptr : target.data_ptr(),
                                     sparse ? target.data_ptr<int64_t>() : nullptr, s.data_ptr(), dlogits.data_ptr(), rows, cols);
    in[0].add_grad(dlogits);
  });
}

}  // namespace nn
