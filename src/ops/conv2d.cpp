#include "nn/ops/conv2d.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace nn {

Padding Padding::values(int64_t h, int64_t w) {
  if (h < 0 || w < 0 || h > 0x7fffffff || w > 0x7fffffff)
    throw std::invalid_argument(fmt::format("padding {},{}: amounts must be in [0, 2147483647]", h, w));
  return Padding(Mode::Explicit, h, w);
}

Padding Padding::parse(const std::string& s) {
  if (s == "valid") return valid();
  if (s == "same") return same();
  try {
    size_t used = 0;
    const int64_t h = std::stoll(s, &used);
    if (used == s.size() && h >= 0 && h <= 0x7fffffff) return values(h, h);
    if (s[used] == ',') {
      size_t used2 = 0;
      const int64_t w = std::stoll(s.substr(used + 1), &used2);
      if (used + 1 + used2 == s.size() && h >= 0 && w >= 0 && h <= 0x7fffffff && w <= 0x7fffffff)
        return values(h, w);
    }
  } catch (const std::logic_error&) {  // stoll: not a number, or out of range
  }
  throw std::invalid_argument("padding '" + s + "': expected 'valid', 'same', 'P' or 'PH,PW'");
}

std::string Padding::str() const {
  switch (mode) {
    case Mode::Valid: return "valid";
    case Mode::Same: return "same";
    case Mode::Explicit: return h == w ? std::to_string(h) : fmt::format("{},{}", h, w);
  }
  return "valid";
}

std::pair<int64_t, int64_t> padding_amounts(const Padding& p, bool height, int64_t in, int64_t kernel,
                                            int64_t stride) {
  switch (p.mode) {
    case Padding::Mode::Valid: return {0, 0};
    case Padding::Mode::Explicit: return height ? std::pair{p.h, p.h} : std::pair{p.w, p.w};
    case Padding::Mode::Same: {
      if (in <= 0) return {0, 0};
      const int64_t out = in / stride + (in % stride != 0);  // ceil, without overflow
      const int64_t total =
          std::max<int64_t>(0, checked_add((out - 1) * stride, kernel, "'same' padding") - in);
      return {total / 2, total - total / 2};
    }
  }
  return {0, 0};
}

Conv2DParams conv2d_params(const Shape& x, const Shape& w, int64_t stride_h, int64_t stride_w,
                           const Padding& padding) {
  if (x.size() != 4 || w.size() != 4 || x[1] != w[1])
    throw std::invalid_argument(fmt::format("conv2d: input {} (expected (N, C, H, W)) does not fit "
                                            "weight {} (expected (K, C, kh, kw))",
                                            to_string(x), to_string(w)));
  if (stride_h < 1 || stride_w < 1) throw std::invalid_argument("conv2d: strides must be >= 1");
  Conv2DParams p;
  p.n = x[0], p.c = x[1], p.h = x[2], p.w = x[3];
  p.k = w[0], p.kh = w[2], p.kw = w[3];
  p.stride_h = stride_h, p.stride_w = stride_w;
  std::tie(p.pad_top, p.pad_bottom) = padding_amounts(padding, true, p.h, p.kh, stride_h);
  std::tie(p.pad_left, p.pad_right) = padding_amounts(padding, false, p.w, p.kw, stride_w);
  const int64_t padded_h = checked_add(p.h, checked_add(p.pad_top, p.pad_bottom, "conv2d padding"), "conv2d padding");
  const int64_t padded_w = checked_add(p.w, checked_add(p.pad_left, p.pad_right, "conv2d padding"), "conv2d padding");
  if (padded_h < p.kh || padded_w < p.kw)
    throw std::invalid_argument(fmt::format("conv2d: kernel {}x{} is larger than the padded input {}",
                                            p.kh, p.kw, to_string(x)));
  // The sizes the kernels work with (im2col rows, output pixels, output elements) must not wrap.
  const int64_t rows = checked_mul(checked_mul(p.c, p.kh, "conv2d kernel"), p.kw, "conv2d kernel");
  const int64_t pixels = checked_mul(p.out_h(), p.out_w(), "conv2d output");
  checked_mul(checked_mul(p.n, p.k, "conv2d output"), pixels, "conv2d output");
  checked_mul(rows, pixels, "conv2d columns");  // one image's im2col columns
  return p;
}

std::shared_ptr<KernelPlan> Conv2DPlanCache::get(Backend& backend, const Conv2DParams& p) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!plan_ || backend_ != &backend || !key_.same_geometry(p)) {
    plan_ = backend.plan_conv2d(p);
    backend_ = &backend;
    key_ = p;
  }
  return plan_;
}

Variable conv2d(const Variable& x, const Variable& w, const Variable& bias, int64_t stride_h,
                int64_t stride_w, const Padding& padding, Epilogue act, Conv2DPlanCache* plans) {
  const Conv2DParams p = conv2d_params(x.shape(), w.shape(), stride_h, stride_w, padding);
  if (bias.defined() && bias.shape() != Shape{p.k})
    throw std::invalid_argument(fmt::format("conv2d: bias {} for {} filters", to_string(bias.shape()), p.k));
  check_same_device("conv2d", {&x.value(), &w.value(), bias.defined() ? &bias.value() : nullptr});
  Backend& be = backend_for(x.device());
  std::shared_ptr<KernelPlan> plan = plans ? plans->get(be, p) : be.plan_conv2d(p);
  Tensor y({p.n, p.k, p.out_h(), p.out_w()}, x.device());
  be.conv2d_forward(*plan, p, x.value().data_ptr(), w.value().data_ptr(), bias.defined() ? bias.value().data_ptr() : nullptr,
                    act, y.data_ptr());
  std::vector<Variable> inputs{x, w};
  if (bias.defined()) inputs.push_back(bias);
  // The backward pass reads the output only to undo a fused activation.
  Tensor saved = act != Epilogue::None ? y : Tensor();
  return make_variable(y, std::move(inputs), [p, act, plan, saved](std::vector<Variable>& in, const Tensor& g) {
    const bool has_bias = in.size() == 3;
    Tensor dx, dw, db;
    if (in[0].requires_grad()) dx = Tensor(in[0].shape(), g.device());
    if (in[1].requires_grad()) dw = Tensor(in[1].shape(), g.device());
    if (has_bias && in[2].requires_grad()) db = Tensor(in[2].shape(), g.device());
    backend_for(g.device())
        .conv2d_backward(*plan, p, in[0].value().data_ptr(), in[1].value().data_ptr(),
                         saved.defined() ? saved.data_ptr() : nullptr, g.data_ptr(), act,
                         dx.defined() ? dx.data_ptr() : nullptr, dw.defined() ? dw.data_ptr() : nullptr,
                         db.defined() ? db.data_ptr() : nullptr);
    if (dx.defined()) in[0].add_grad(dx);
    if (dw.defined()) in[1].add_grad(dw);
    if (db.defined()) in[2].add_grad(db);
  });
}

}  // namespace nn
