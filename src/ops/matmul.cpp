#include "nn/ops/matmul.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

void check_matmul(const Shape& a, const Shape& b, const char* op) {
  if (a.size() != 2 || b.size() != 2 || a[1] != b[0])
    throw std::invalid_argument(std::string(op) + ": cannot multiply shapes " + to_string(a) +
                                " and " + to_string(b));
}

// da = g · bᵀ, db = aᵀ · g for a: (m, k), b: (k, n), g: (m, n)
void matmul_backward(std::vector<Variable>& in, const Tensor& g) {
  const Tensor& a = in[0].value();
  const Tensor& b = in[1].value();
  const int64_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  Backend& be = backend_for(g.device());
  if (in[0].requires_grad()) {
    Tensor da(a.shape(), g.device());
    be.gemm(false, true, m, k, n, 1.0f, g.data_ptr(), n, b.data_ptr(), n, 0.0f, da.data_ptr(), k);
    in[0].add_grad(da);
  }
  if (in[1].requires_grad()) {
    Tensor db(b.shape(), g.device());
    be.gemm(true, false, k, n, m, 1.0f, a.data_ptr(), k, g.data_ptr(), n, 0.0f, db.data_ptr(), n);
    in[1].add_grad(db);
  }
}

}  // namespace

Variable matmul(const Variable& a, const Variable& b) {
  check_matmul(a.shape(), b.shape(), "matmul");
  check_same_device("matmul", a.value(), b.value());
  const int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
  Tensor out({m, n}, a.device());
  backend_for(a.device()).gemm(false, false, m, n, k, 1.0f, a.value().data_ptr(), k, b.value().data_ptr(), n,
                               0.0f, out.data_ptr(), n);
  return make_variable(out, {a, b}, matmul_backward);
}

Variable linear(const Variable& x, const Variable& w, const Variable& bias, Epilogue act) {
  check_matmul(x.shape(), w.shape(), "linear");
  const int64_t m = x.shape()[0], k = x.shape()[1], n = w.shape()[1];
  if (bias.defined() && bias.shape() != Shape{n})
    throw std::invalid_argument("linear: bias of shape " + to_string(bias.shape()) + " for " +
                                std::to_string(n) + " outputs");
  check_same_device("linear", {&x.value(), &w.value(), bias.defined() ? &bias.value() : nullptr});
  Backend& be = backend_for(x.device());
  Tensor out({m, n}, x.device());
  be.linear(x.value().data_ptr(), w.value().data_ptr(), bias.defined() ? bias.value().data_ptr() : nullptr, act,
            out.data_ptr(), m, n, k);
  if (!bias.defined() && act == Epilogue::None) return make_variable(out, {x, w}, matmul_backward);
  std::vector<Variable> inputs{x, w};
  if (bias.defined()) inputs.push_back(bias);
  // The backward pass reads the output only to undo the activation.
  Tensor saved = act != Epilogue::None ? out : Tensor();
  return make_variable(out, std::move(inputs), [act, saved](std::vector<Variable>& in, const Tensor& g) {
    Backend& gbe = backend_for(g.device());
    const bool db_wanted = in.size() == 3 && in[2].requires_grad();
    Tensor dz = g, db;
    if (act != Epilogue::None) dz = Tensor(g.shape(), g.device());
    if (db_wanted) db = Tensor(in[2].shape(), g.device());
    if (act != Epilogue::None || db_wanted)
      gbe.bias_activation_backward(saved.defined() ? saved.data_ptr() : nullptr, g.data_ptr(),
                                  act != Epilogue::None ? dz.data_ptr() : nullptr, db_wanted ? db.data_ptr() : nullptr,
                                  g.dim(0), g.dim(1), 1, act);
    matmul_backward(in, dz);
    if (db_wanted) in[2].add_grad(db);
  });
}

}  // namespace nn
