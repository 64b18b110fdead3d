#include "nn/tensor_ops.hpp"

#include "backend/fallback.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

void check_devices(const Tensor& a, const Tensor& b, const char* op) {
  if (!a.defined() || !b.defined()) throw std::invalid_argument(std::string(op) + ": undefined tensor");
  check_same_device(op, a, b);
}

// The kernels compute in float32: operands of other dtypes are converted first (images / 255.0f).
Tensor binary(BinaryOp op, const Tensor& a_in, const Tensor& b_in, const char* name) {
  check_devices(a_in, b_in, name);
  const Tensor a = a_in.to(kFloat32), b = b_in.to(kFloat32);
  Tensor out(broadcast_shapes(a.shape(), b.shape()), a.device());
  backend_for(a.device()).binary(op, a.data_ptr(), a.shape(), b.data_ptr(), b.shape(), out.data_ptr(), out.shape());
  return out;
}

Tensor& in_place(BinaryOp op, Tensor& a, const Tensor& b, const char* name) {
  check_devices(a, b, name);
  if (broadcast_shapes(a.shape(), b.shape()) != a.shape())
    throw std::invalid_argument(std::string(name) + ": a tensor of shape " + to_string(b.shape()) +
                                " does not broadcast to " + to_string(a.shape()));
  if (a.dtype() != kFloat32)
    throw std::invalid_argument(std::string(name) + ": in-place arithmetic on a " + to_string(a.dtype()) +
                                " tensor (convert it with to(kFloat32) first)");
  const Tensor b32 = b.to(kFloat32);
  backend_for(a.device()).binary(op, a.data_ptr(), a.shape(), b32.data_ptr(), b.shape(), a.data_ptr(), a.shape());
  return a;
}

Tensor scalar_like(const Tensor& t, float v) { return Tensor::scalar(v, t.device()); }

}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b, "operator+"); }
Tensor operator-(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b, "operator-"); }
Tensor operator*(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b, "operator*"); }
Tensor operator/(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b, "operator/"); }
Tensor operator+(const Tensor& a, float b) { return a + scalar_like(a, b); }
Tensor operator-(const Tensor& a, float b) { return a - scalar_like(a, b); }
Tensor operator*(const Tensor& a, float b) { return a * scalar_like(a, b); }
Tensor operator/(const Tensor& a, float b) { return a / scalar_like(a, b); }
Tensor operator+(float a, const Tensor& b) { return scalar_like(b, a) + b; }
Tensor operator-(float a, const Tensor& b) { return scalar_like(b, a) - b; }
Tensor operator*(float a, const Tensor& b) { return scalar_like(b, a) * b; }
Tensor operator/(float a, const Tensor& b) { return scalar_like(b, a) / b; }
Tensor operator-(const Tensor& a) { return scalar_like(a, 0.0f) - a; }

Tensor& operator+=(Tensor& a, const Tensor& b) { return in_place(BinaryOp::Add, a, b, "operator+="); }
Tensor& operator-=(Tensor& a, const Tensor& b) { return in_place(BinaryOp::Sub, a, b, "operator-="); }
Tensor& operator*=(Tensor& a, const Tensor& b) { return in_place(BinaryOp::Mul, a, b, "operator*="); }
Tensor& operator/=(Tensor& a, const Tensor& b) { return in_place(BinaryOp::Div, a, b, "operator/="); }
Tensor& operator+=(Tensor& a, float b) { return a += scalar_like(a, b); }
Tensor& operator-=(Tensor& a, float b) { return a -= scalar_like(a, b); }
Tensor& operator*=(Tensor& a, float b) { return a *= scalar_like(a, b); }
Tensor& operator/=(Tensor& a, float b) { return a /= scalar_like(a, b); }

Tensor sum(const Tensor& x) {
  Tensor out = Tensor::empty({}, x.device());
  backend_for(x.device()).sum(x.to(kFloat32).data_ptr(), out.data_ptr(), x.numel());
  return out;
}

Tensor mean(const Tensor& x) {
  Tensor out = sum(x);
  if (x.numel() > 0)
    backend_for(x.device()).scale(1, 1.0f / static_cast<float>(x.numel()), out.data_ptr(), out.data_ptr());
  return out;
}

Tensor index_select(const Tensor& x, const Tensor& index_in) {
  if (!x.defined() || !index_in.defined()) throw std::invalid_argument("index_select: undefined tensor");
  if (x.ndim() < 1) throw std::invalid_argument("index_select: x needs at least one dimension");
  if (index_in.ndim() != 1 || index_in.dtype() != kInt64)
    throw std::invalid_argument("index_select: the index must be int64 of shape (k), got " + to_string(index_in.dtype()) +
                                " " + to_string(index_in.shape()));
  const int64_t rows = x.dim(0), k = index_in.dim(0);
  if (index_in.device().is_host()) {  // checked here, then sent to x's device
    const int64_t* v = index_in.data<int64_t>();
    for (int64_t i = 0; i < k; ++i)
      if (v[i] < 0 || v[i] >= rows)
        throw std::out_of_range("index_select: index " + std::to_string(v[i]) + " at " + std::to_string(i) +
                                " is out of range for " + std::to_string(rows) + " rows");
  } else {  // raised at the next synchronization; the kernel reads no row out of range meanwhile
    backend_for(index_in.device()).check_class_labels(index_in.untyped_data_ptr(), kInt64, k, rows, "index_select");
  }
  const Tensor index = index_in.to(x.device());
  Shape out_shape = x.shape();
  out_shape[0] = k;
  Tensor out(out_shape, x.options());
  const int64_t row_bytes = rows ? static_cast<int64_t>(x.nbytes()) / rows : 0;
  if (k > 0 && row_bytes > 0)
    backend_for(x.device()).gather_rows(x.untyped_data_ptr(), rows, index.data_ptr<int64_t>(), out.untyped_data_ptr(), k,
                                        row_bytes);
  return out;
}

Tensor argmax(const Tensor& x_in, int axis) {
  const Tensor x = x_in.to(kFloat32);
  const int a = normalize_axis(axis, x.ndim());
  const Shape& s = x.shape();
  if (s[static_cast<size_t>(a)] == 0)
    throw std::invalid_argument("argmax: axis " + std::to_string(axis) + " is empty");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a; ++i) outer *= s[static_cast<size_t>(i)];
  for (int i = a + 1; i < x.ndim(); ++i) inner *= s[static_cast<size_t>(i)];
  Shape out_shape = s;
  out_shape.erase(out_shape.begin() + a);
  Tensor out(out_shape, TensorOptions().dtype(kInt64).device(x.device()));
  const int64_t n = s[static_cast<size_t>(a)];
  detail::run_kernel(Kernel::Argmax, {&x}, {&out}, [&](Backend& be, const auto& in, const auto& o) {
    be.argmax(detail::as<float>(in[0]), detail::as<int64_t>(o[0]), outer, n, inner);
  });
  return out;
}

TopK top_k(const Tensor& x_in, int64_t k) {
  const Tensor x = x_in.to(kFloat32);
  if (x.ndim() < 1) throw std::invalid_argument("top_k: needs at least one dimension");
  const int64_t cols = x.dim(-1);
  if (k < 1 || k > cols)
    throw std::invalid_argument("top_k: k = " + std::to_string(k) + " for rows of " + std::to_string(cols));
  Shape out_shape = x.shape();
  out_shape.back() = k;
  TopK r{Tensor(out_shape, x.device()), Tensor(out_shape, TensorOptions().dtype(kInt64).device(x.device()))};
  detail::run_kernel(Kernel::TopK, {&x}, {&r.values, &r.indices}, [&](Backend& be, const auto& in, const auto& o) {
    be.top_k(detail::as<float>(in[0]), detail::as<float>(o[0]), detail::as<int64_t>(o[1]), x.numel() / cols, cols, k);
  });
  return r;
}

namespace {
Tensor softmax_impl(const Tensor& x_in, bool log) {
  const Tensor x = x_in.to(kFloat32);
  if (x.ndim() < 1) throw std::invalid_argument("softmax: needs at least one dimension");
  const int64_t cols = x.dim(-1), rows = cols ? x.numel() / cols : 0;
  Tensor y(x.shape(), x.device());
  backend_for(x.device()).softmax(x.data_ptr(), y.data_ptr(), rows, cols, log);
  return y;
}
}  // namespace

Tensor softmax(const Tensor& x) { return softmax_impl(x, false); }
Tensor log_softmax(const Tensor& x) { return softmax_impl(x, true); }

}  // namespace nn
