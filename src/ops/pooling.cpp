#include "nn/ops/pooling.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "nn/ops/reduction.hpp"
#include "nn/ops/shape_ops.hpp"

namespace nn {

Pool2DParams pool2d_params(const char* op, const Shape& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                           int64_t stride_w, const Padding& padding) {
  if (x.size() != 4)
    throw std::invalid_argument(std::string(op) + ": input must be (N, C, H, W), got " + to_string(x));
  if (kernel_h < 1 || kernel_w < 1 || stride_h < 1 || stride_w < 1)
    throw std::invalid_argument(std::string(op) + ": kernel and stride must be >= 1");
  Pool2DParams p;
  p.n = x[0], p.c = x[1], p.h = x[2], p.w = x[3];
  p.kh = kernel_h, p.kw = kernel_w, p.stride_h = stride_h, p.stride_w = stride_w;
  std::tie(p.pad_top, p.pad_bottom) = padding_amounts(padding, true, p.h, p.kh, stride_h);
  std::tie(p.pad_left, p.pad_right) = padding_amounts(padding, false, p.w, p.kw, stride_w);
  if (p.pad_top >= p.kh || p.pad_left >= p.kw || p.pad_bottom >= p.kh || p.pad_right >= p.kw)
    throw std::invalid_argument(std::string(op) + ": padding must be smaller than the window");
  const int64_t padded_h = checked_add(p.h, checked_add(p.pad_top, p.pad_bottom, op), op);
  const int64_t padded_w = checked_add(p.w, checked_add(p.pad_left, p.pad_right, op), op);
  if (padded_h < p.kh || padded_w < p.kw)
    throw std::invalid_argument(fmt::format("{}: window {}x{} is larger than input {}", op,
                                            p.kh, p.kw, to_string(x)));
  const int64_t pixels = checked_mul(p.out_h(), p.out_w(), op);
  checked_mul(checked_mul(p.n, p.c, op), pixels, op);
  return p;
}

Pool2DParams max_pool2d_params(const Shape& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                               int64_t stride_w, const Padding& padding) {
  return pool2d_params("max_pool2d", x, kernel_h, kernel_w, stride_h, stride_w, padding);
}

Variable avg_pool2d(const Variable& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                    int64_t stride_w, const Padding& padding) {
  const Pool2DParams p = pool2d_params("avg_pool2d", x.shape(), kernel_h, kernel_w, stride_h, stride_w, padding);
  Tensor y({p.n, p.c, p.out_h(), p.out_w()}, x.device());
  backend_for(x.device()).avg_pool2d_forward(p, x.value().data_ptr(), y.data_ptr());
  return make_variable(y, {x}, [p](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(in[0].shape(), g.device());
    backend_for(g.device()).avg_pool2d_backward(p, g.data_ptr(), dx.data_ptr());
    in[0].add_grad(dx);
  });
}

Variable global_avg_pool2d(const Variable& x) {
  if (x.shape().size() != 4)
    throw std::invalid_argument("global_avg_pool2d: input must be (N, C, H, W), got " + to_string(x.shape()));
  const Shape& s = x.shape();
  return mean(reshape(x, {s[0], s[1], checked_mul(s[2], s[3], "global_avg_pool2d")}), -1);
}

Variable max_pool2d(const Variable& x, int64_t kernel_h, int64_t kernel_w, int64_t stride_h,
                    int64_t stride_w, const Padding& padding) {
  const Pool2DParams p = max_pool2d_params(x.shape(), kernel_h, kernel_w, stride_h, stride_w, padding);
  const Shape out_shape{p.n, p.c, p.out_h(), p.out_w()};
  Tensor y(out_shape, x.device());
  // Each window's argmax: an int32 flat index into its plane.
  Tensor argmax(out_shape, TensorOptions().dtype(kInt32).device(x.device()));
  auto* arg = argmax.data_ptr<int32_t>();
  backend_for(x.device()).max_pool2d_forward(p, x.value().data_ptr(), y.data_ptr(), arg);
  return make_variable(y, {x}, [p, argmax](std::vector<Variable>& in, const Tensor& g) {
    Tensor dx(in[0].shape(), g.device());
    const auto* a = argmax.data_ptr<int32_t>();
    backend_for(g.device()).max_pool2d_backward(p, g.data_ptr(), a, dx.data_ptr());
    in[0].add_grad(dx);
  });
}

}  // namespace nn
