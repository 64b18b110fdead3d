#include "nn/ops/batch_norm.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

// x viewed as (outer, channels, inner) around the normalized axis.
struct Layout {
  int64_t outer = 1, channels = 1, inner = 1;
};

Layout layout(const char* op, const Shape& x, int axis, const Variable& gamma, const Variable& beta) {
  if (x.size() < 2) throw std::invalid_argument(std::string(op) + ": input must have a batch axis and a channel axis, got " + to_string(x));
  const int a = normalize_axis(axis, static_cast<int>(x.size()));
  if (a == 0) throw std::invalid_argument(std::string(op) + ": cannot normalize along the batch axis 0");
  Layout l;
  for (int i = 0; i < a; ++i) l.outer *= x[static_cast<size_t>(i)];
  l.channels = x[static_cast<size_t>(a)];
  for (size_t i = static_cast<size_t>(a) + 1; i < x.size(); ++i) l.inner *= x[i];
  for (const Variable* v : {&gamma, &beta})
    if (v->defined() && v->shape() != Shape{l.channels})
      throw std::invalid_argument(std::string(op) + ": " + (v == &gamma ? "gamma " : "beta ") + to_string(v->shape()) +
                                  " for " + std::to_string(l.channels) + " channels of input " + to_string(x));
  return l;
}

const float* data_or_null(const Variable& v) { return v.defined() ? v.value().data_ptr() : nullptr; }

// The gradient of either form; mean and inv_std are the statistics the forward pass used.
GradFn backward(Layout l, Tensor mean, Tensor inv_std, bool has_gamma, bool has_beta, bool batch_stats) {
  return [=](std::vector<Variable>& in, const Tensor& g) {
    size_t next = 1;
    Variable* gamma = has_gamma ? &in[next++] : nullptr;
    Variable* beta = has_beta ? &in[next++] : nullptr;
    Tensor dx, dgamma, dbeta;
    if (in[0].requires_grad()) dx = Tensor(in[0].shape(), g.device());
    if (gamma && gamma->requires_grad()) dgamma = Tensor(gamma->shape(), g.device());
    if (beta && beta->requires_grad()) dbeta = Tensor(beta->shape(), g.device());
    if (!dx.defined() && !dgamma.defined() && !dbeta.defined()) return;
    backend_for(g.device()).batch_norm_backward(in[0].value().data_ptr(), gamma ? gamma->value().data_ptr() : nullptr,
                                                mean.data_ptr(), inv_std.data_ptr(), g.data_ptr(),
                                                dx.defined() ? dx.data_ptr() : nullptr,
                                                dgamma.defined() ? dgamma.data_ptr() : nullptr,
                                                dbeta.defined() ? dbeta.data_ptr() : nullptr, l.outer, l.channels,
                                                l.inner, batch_stats);
    if (dx.defined()) in[0].add_grad(dx);
    if (dgamma.defined()) gamma->add_grad(dgamma);
    if (dbeta.defined()) beta->add_grad(dbeta);
  };
}

std::vector<Variable> inputs(const Variable& x, const Variable& gamma, const Variable& beta) {
  std::vector<Variable> in{x};
  if (gamma.defined()) in.push_back(gamma);
  if (beta.defined()) in.push_back(beta);
  return in;
}

void check_epsilon(const char* op, float epsilon) {
  if (!(epsilon > 0.0f) || !std::isfinite(epsilon))
    throw std::invalid_argument(std::string(op) + ": epsilon must be a finite number > 0, got " + std::to_string(epsilon));
}

}  // namespace

Variable batch_norm(const Variable& x, const Variable& gamma, const Variable& beta, int axis, float epsilon,
                    Tensor* batch_mean, Tensor* batch_var) {
  check_epsilon("batch_norm", epsilon);
  const Layout l = layout("batch_norm", x.shape(), axis, gamma, beta);
  check_same_device("batch_norm", {&x.value(), gamma.defined() ? &gamma.value() : nullptr,
                                   beta.defined() ? &beta.value() : nullptr});
  const Device d = x.device();
  Tensor y(x.shape(), d), mean({l.channels}, d), var({l.channels}, d), inv_std({l.channels}, d);
  backend_for(d).batch_norm_forward(x.value().data_ptr(), data_or_null(gamma), data_or_null(beta), y.data_ptr(), mean.data_ptr(),
                                    var.data_ptr(), inv_std.data_ptr(), l.outer, l.channels, l.inner, epsilon);
  if (batch_mean) *batch_mean = mean;
  if (batch_var) *batch_var = var;
  return make_variable(y, inputs(x, gamma, beta),
                       backward(l, mean, inv_std, gamma.defined(), beta.defined(), true));
}

Variable batch_norm_inference(const Variable& x, const Variable& gamma, const Variable& beta, const Tensor& mean,
                              const Tensor& var, int axis, float epsilon) {
  check_epsilon("batch_norm", epsilon);
  const Layout l = layout("batch_norm", x.shape(), axis, gamma, beta);
  if (mean.shape() != Shape{l.channels} || var.shape() != Shape{l.channels})
    throw std::invalid_argument("batch_norm: statistics " + to_string(mean.shape()) + " and " + to_string(var.shape()) +
                                " for " + std::to_string(l.channels) + " channels");
  check_same_device("batch_norm", {&x.value(), gamma.defined() ? &gamma.value() : nullptr,
                                   beta.defined() ? &beta.value() : nullptr, &mean, &var});
  const Device d = x.device();
  Tensor y(x.shape(), d), inv_std({l.channels}, d);
  backend_for(d).batch_norm_inference(x.value().data_ptr(), data_or_null(gamma), data_or_null(beta), mean.data_ptr(),
                                      var.data_ptr(), y.data_ptr(), inv_std.data_ptr(), l.outer, l.channels, l.inner, epsilon);
  return make_variable(y, inputs(x, gamma, beta),
                       backward(l, mean, inv_std, gamma.defined(), beta.defined(), false));
}

}  // namespace nn
