// Broadcasting arithmetic and its reduction, written with xtensor's broadcasting expressions.
#include <stdexcept>

#include "cpu_backend.hpp"
#include "nn/xtensor.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {
std::vector<size_t> dims(const Shape& s) { return {s.begin(), s.end()}; }

// out may be larger than broadcast(a, b) (broadcast_to), so the result is broadcast to it.
template <class A, class B, class O>
void apply(BinaryOp op, const A& a, const B& b, O& out, const std::vector<size_t>& shape) {
  switch (op) {
    case BinaryOp::Add: xt::noalias(out) = xt::broadcast(a + b, shape); break;
    case BinaryOp::Sub: xt::noalias(out) = xt::broadcast(a - b, shape); break;
    case BinaryOp::Mul: xt::noalias(out) = xt::broadcast(a * b, shape); break;
    case BinaryOp::Div: xt::noalias(out) = xt::broadcast(a / b, shape); break;
  }
}
}  // namespace

void CpuBackend::binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                        const Shape& b_shape, float* out, const Shape& out_shape) {
  const int64_t n = nn::numel(out_shape);
  if (a_shape == out_shape && b_shape == out_shape) {  // the common case: a flat parallel loop
    parallel_for(n, 16384, [&](int64_t s, int64_t e) {
      switch (op) {  // one plain loop per op, so each vectorises
        case BinaryOp::Add: for (int64_t i = s; i < e; ++i) out[i] = a[i] + b[i]; break;
        case BinaryOp::Sub: for (int64_t i = s; i < e; ++i) out[i] = a[i] - b[i]; break;
        case BinaryOp::Mul: for (int64_t i = s; i < e; ++i) out[i] = a[i] * b[i]; break;
        case BinaryOp::Div: for (int64_t i = s; i < e; ++i) out[i] = a[i] / b[i]; break;
      }
    });
    return;
  }
  // One operand a single value (x / 255): a flat loop too.
  const bool a_full = a_shape == out_shape, b_full = b_shape == out_shape;
  if ((a_full && nn::numel(b_shape) == 1) || (b_full && nn::numel(a_shape) == 1)) {
    const float* full = a_full ? a : b;
    const float k = a_full ? b[0] : a[0];
    parallel_for(n, 16384, [&](int64_t s, int64_t e) {
      switch (op) {
        case BinaryOp::Add: for (int64_t i = s; i < e; ++i) out[i] = full[i] + k; break;
        case BinaryOp::Mul: for (int64_t i = s; i < e; ++i) out[i] = full[i] * k; break;
        case BinaryOp::Sub:
          if (a_full) for (int64_t i = s; i < e; ++i) out[i] = full[i] - k;
          else for (int64_t i = s; i < e; ++i) out[i] = k - full[i];
          break;
        case BinaryOp::Div:
          if (a_full) for (int64_t i = s; i < e; ++i) out[i] = full[i] / k;
          else for (int64_t i = s; i < e; ++i) out[i] = k / full[i];
          break;
      }
    });
    return;
  }
  auto xa = xt::adapt(a, static_cast<size_t>(nn::numel(a_shape)), xt::no_ownership(), dims(a_shape));
  auto xb = xt::adapt(b, static_cast<size_t>(nn::numel(b_shape)), xt::no_ownership(), dims(b_shape));
  auto xo = xt::adapt(out, static_cast<size_t>(n), xt::no_ownership(), dims(out_shape));
  apply(op, xa, xb, xo, dims(out_shape));
}

void CpuBackend::reduce_to_shape(const float* src, const Shape& src_shape, float* dst,
                                 const Shape& dst_shape) {
  const int64_t n = nn::numel(src_shape);
  if (src_shape == dst_shape) {
    copy(src, dst, n);
    return;
  }
  const size_t nd = src_shape.size();
  if (dst_shape.size() > nd) throw std::invalid_argument("reduce_to_shape: target has more dims");
  Shape padded(nd - dst_shape.size(), 1);
  padded.insert(padded.end(), dst_shape.begin(), dst_shape.end());
  std::vector<size_t> axes;
  for (size_t i = 0; i < nd; ++i)
    if (padded[i] == 1 && src_shape[i] != 1) axes.push_back(i);
  auto xs = xt::adapt(src, static_cast<size_t>(n), xt::no_ownership(), dims(src_shape));
  xt::xarray<float> reduced = xt::sum(xs, axes, xt::evaluation_strategy::immediate);
  std::copy(reduced.begin(), reduced.end(), dst);  // same row-major order as dst_shape
}

}  // namespace nn::detail
