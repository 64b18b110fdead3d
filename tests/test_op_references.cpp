// Forward values of every op (nn/ops) and of the tensor functions (sum, mean, reshape, permute)
// against independent definitions: naive loops in double written here over std::vector<double>
// with <cmath> only; no nn function computes an expected value. The definitions are Keras's
// (PyTorch's where Keras has none). Gradients are checked in test_ops_gradients.cpp; softmax,
// argmax and the losses are in test_loss_references.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "gradcheck.hpp"
#include "reference.hpp"

using namespace nn;
using namespace nn::test;

namespace {
Generator gen(20240611);

// ---- elementwise definitions ----
const double kSeluAlpha = 1.6732632423543772848170429916717, kSeluScale = 1.0507009873554804934193349852946;
double sigmoid_ref(double x) {
  return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}
double softplus_ref(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
double relu6_ref(double x) { return std::min(std::max(x, 0.0), 6.0); }
double epilogue_ref(Epilogue a, double v) {
  switch (a) {
    case Epilogue::Relu:
      return std::max(v, 0.0);
    case Epilogue::Sigmoid:
      return sigmoid_ref(v);
    case Epilogue::Tanh:
      return std::tanh(v);
    default:
      return v;
  }
}

// Special points (0, the kinks of relu6 and the hard functions, large |x| for overflow) and
// random ones in [-8, 8].
Vec activation_points() {
  Vec p{0, 1e-4, -1e-4, 0.5, -0.5, 1, -1, 3, -3, 2.9, -2.9, 3.1, -3.1, 6, -6, 5.9, 6.1, 30, -30, 100, -100};
  for (float v : random_tensor({200}, gen, -8, 8).to_vector()) p.push_back(v);
  return p;
}
Vec map_each(const Vec& x, const std::function<double(double)>& f) {
  Vec y(x.size());
  std::transform(x.begin(), x.end(), y.begin(), f);
  return y;
}

// ---- shapes: NumPy broadcasting and axis permutations, by multi-indices ----
Vec ref_binary(char op, const Vec& a, Shape as, const Vec& b, Shape bs, Shape& out) {
  const size_t nd = std::max(as.size(), bs.size());
  as.insert(as.begin(), nd - as.size(), 1);
  bs.insert(bs.begin(), nd - bs.size(), 1);
  out.assign(nd, 1);
  for (size_t d = 0; d < nd; ++d) out[d] = std::max(as[d], bs[d]);
  Vec y(count(out));
  for (int64_t i = 0; i < count(out); ++i) {
    int64_t rest = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (size_t d = nd; d-- > 0;) {
      const int64_t idx = rest % out[d];
      rest /= out[d];
      ia += (as[d] == 1 ? 0 : idx) * sa;
      ib += (bs[d] == 1 ? 0 : idx) * sb;
      sa *= as[d];
      sb *= bs[d];
    }
    const double u = a[ia], v = b[ib];
    y[i] = op == '+' ? u + v : op == '-' ? u - v : op == '*' ? u * v : u / v;
  }
  return y;
}

// Output axis i is input axis axes[i].
Vec ref_permute(const Vec& x, const Shape& s, const std::vector<int>& axes, Shape& out) {
  const size_t nd = s.size();
  std::vector<int64_t> stride(nd, 1);
  for (size_t d = nd; d-- > 1;) stride[d - 1] = stride[d] * s[d];
  out.resize(nd);
  for (size_t d = 0; d < nd; ++d) out[d] = s[axes[d]];
  Vec y(x.size());
  for (int64_t i = 0; i < count(out); ++i) {
    int64_t rest = i, src = 0;
    for (size_t d = nd; d-- > 0;) {
      src += (rest % out[d]) * stride[axes[d]];
      rest /= out[d];
    }
    y[i] = x[src];
  }
  return y;
}

// Sum (or mean) over one axis of x viewed as (outer, n, inner).
Vec ref_reduce_axis(const Vec& x, const Shape& s, int axis, bool mean) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t n = s[axis];
  Vec y(outer * inner, 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < inner; ++i) y[o * inner + i] += x[(o * n + j) * inner + i];
  if (mean)
    for (auto& v : y) v /= static_cast<double>(n);
  return y;
}

// ---- convolution and pooling geometry ----
// pad "valid", "same" (TensorFlow: out = ceil(in / stride), the odd cell after), or "h,w" / "n"
// cells on each side.
struct Geo {
  int64_t n, c, h, w, kh, kw, sh, sw;
  std::string pad;
  int64_t pt = 0, pb = 0, pl = 0, pr = 0, oh = 0, ow = 0;
  void resolve() {
    auto same = [](int64_t in, int64_t k, int64_t s, int64_t& before, int64_t& after) {
      const int64_t out = (in + s - 1) / s, total = std::max<int64_t>((out - 1) * s + k - in, 0);
      before = total / 2;
      after = total - before;
    };
    if (pad == "same") {
      same(h, kh, sh, pt, pb);
      same(w, kw, sw, pl, pr);
    } else if (pad != "valid") {
      const size_t comma = pad.find(',');
      pt = pb = std::stoll(pad.substr(0, comma));
      pl = pr = comma == std::string::npos ? pt : std::stoll(pad.substr(comma + 1));
    }
    oh = (h + pt + pb - kh) / sh + 1;
    ow = (w + pl + pr - kw) / sw + 1;
  }
};

// x (n, c, h, w), w (k, c, kh, kw), bias (k) or empty -> act(cross-correlation + bias): (n, k, oh, ow)
Vec ref_conv2d(const Vec& x, const Vec& wt, const Vec& bias, const Geo& g, int64_t k, Epilogue act) {
  Vec y(g.n * k * g.oh * g.ow);
  size_t o = 0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t f = 0; f < k; ++f)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          double s = bias.empty() ? 0.0 : bias[f];
          for (int64_t c = 0; c < g.c; ++c)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t iy = oy * g.sh - g.pt + i, ix = ox * g.sw - g.pl + j;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;  // zero padding
                s += x[((n * g.c + c) * g.h + iy) * g.w + ix] * wt[((f * g.c + c) * g.kh + i) * g.kw + j];
              }
          y[o++] = epilogue_ref(act, s);
        }
  return y;
}

// The max, or the mean over the cells inside the input (padding never counted), of each window.
Vec ref_pool(const Vec& x, const Geo& g, bool max) {
  Vec y;
  for (int64_t p = 0; p < g.n * g.c; ++p)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        double best = -INFINITY, s = 0;
        int cells = 0;
        for (int64_t iy = oy * g.sh - g.pt; iy < oy * g.sh - g.pt + g.kh; ++iy)
          for (int64_t ix = ox * g.sw - g.pl; ix < ox * g.sw - g.pl + g.kw; ++ix) {
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            const double v = x[(p * g.h + iy) * g.w + ix];
            best = std::max(best, v);
            s += v;
            ++cells;
          }
        y.push_back(max ? best : s / cells);
      }
  return y;
}
}  // namespace

TEST_CASE("reference: elementwise activations and math functions") {
  const Vec x = activation_points();
  const Shape s{static_cast<int64_t>(x.size())};
  const Variable in(tensor(s, x));
  using F = std::function<Variable(const Variable&)>;
  const std::vector<std::tuple<const char*, F, std::function<double(double)>>> table{
      {"relu", [](auto& v) { return nn::relu(v); }, [](double t) { return std::max(t, 0.0); }},
      {"relu6", [](auto& v) { return nn::relu6(v); }, relu6_ref},
      {"leaky_relu (0.2)", [](auto& v) { return nn::leaky_relu(v); },
       [](double t) { return t >= 0 ? t : 0.2 * t; }},
      {"leaky_relu 0.05", [](auto& v) { return nn::leaky_relu(v, 0.05f); },
       [](double t) { return t >= 0 ? t : 0.05 * t; }},
      {"elu (1)", [](auto& v) { return nn::elu(v); }, [](double t) { return t > 0 ? t : std::expm1(t); }},
      {"elu 0.5", [](auto& v) { return nn::elu(v, 0.5f); },
       [](double t) { return t > 0 ? t : 0.5 * std::expm1(t); }},
      {"elu 2", [](auto& v) { return nn::elu(v, 2.0f); },
       [](double t) { return t > 0 ? t : 2.0 * std::expm1(t); }},
      {"selu", [](auto& v) { return nn::selu(v); },
       [](double t) { return kSeluScale * (t > 0 ? t : kSeluAlpha * std::expm1(t)); }},
      // Keras's default gelu (approximate=False), the exact form the header promises: x Phi(x).
      {"gelu", [](auto& v) { return nn::gelu(v); },
       [](double t) { return 0.5 * t * std::erfc(-t / std::sqrt(2.0)); }},
      {"sigmoid", [](auto& v) { return nn::sigmoid(v); }, sigmoid_ref},
      {"hard_sigmoid", [](auto& v) { return nn::hard_sigmoid(v); },
       [](double t) { return relu6_ref(t + 3) / 6; }},
      {"log_sigmoid", [](auto& v) { return nn::log_sigmoid(v); }, [](double t) { return -softplus_ref(-t); }},
      {"tanh", [](auto& v) { return nn::tanh(v); }, [](double t) { return std::tanh(t); }},
      {"softplus", [](auto& v) { return nn::softplus(v); }, softplus_ref},
      {"softsign", [](auto& v) { return nn::softsign(v); }, [](double t) { return t / (1 + std::fabs(t)); }},
      {"silu", [](auto& v) { return nn::silu(v); }, [](double t) { return t * sigmoid_ref(t); }},
      {"hard_silu", [](auto& v) { return nn::hard_silu(v); },
       [](double t) { return t * relu6_ref(t + 3) / 6; }},
      {"mish", [](auto& v) { return nn::mish(v); }, [](double t) { return t * std::tanh(softplus_ref(t)); }},
      {"square", [](auto& v) { return nn::square(v); }, [](double t) { return t * t; }},
      {"abs", [](auto& v) { return nn::abs(v); }, [](double t) { return std::fabs(t); }},
      {"neg", [](auto& v) { return nn::neg(v); }, [](double t) { return -t; }},
      {"scale -2.5", [](auto& v) { return nn::scale(v, -2.5f); }, [](double t) { return -2.5 * t; }},
      {"clip [-0.5, 3]", [](auto& v) { return nn::clip(v, -0.5f, 3.0f); },
       [](double t) { return std::min(std::max(t, -0.5), 3.0); }},
  };
  for (const auto& [name, op, ref] : table) check_close(name, op(in).value(), s, map_each(x, ref));

  // exp within float32's range (e^88 overflows it); log and sqrt on [0, inf): log(0) = -inf.
  Vec e{0, 1, -1, 30, -30, 80, -80};
  for (float v : random_tensor({100}, gen, -10, 10).to_vector()) e.push_back(v);
  const Shape es{static_cast<int64_t>(e.size())};
  check_close("exp", nn::exp(Variable(tensor(es, e))).value(), es,
              map_each(e, [](double t) { return std::exp(t); }));
  Vec pos{0, 1e-6, 1, 4, 100, 1e6};
  for (float v : random_tensor({100}, gen, 0.01f, 20).to_vector()) pos.push_back(v);
  const Shape ps{static_cast<int64_t>(pos.size())};
  check_close("log", nn::log(Variable(tensor(ps, pos))).value(), ps,
              map_each(pos, [](double t) { return std::log(t); }));
  check_close("sqrt", nn::sqrt(Variable(tensor(ps, pos))).value(), ps,
              map_each(pos, [](double t) { return std::sqrt(t); }));
}

TEST_CASE("reference: activation layers (capped ReLU, LeakyReLU, ELU)") {
  // Keras's ReLU layer: max_value if x >= max_value, x if 0 <= x < max_value, negative_slope x below.
  Vec x{0, 2.5, 2.49, 2.51, 4, 6, 7, -1, -10};
  for (float v : random_tensor({60}, gen, -8, 8).to_vector()) x.push_back(v);
  const Shape s{1, static_cast<int64_t>(x.size())};
  auto relu_ref = [](double cap, double slope) {
    return [=](double t) { return t >= cap ? cap : t >= 0 ? t : slope * t; };
  };
  ReLU capped(ReLUOptions().max_value(2.5)), six(ReLUOptions().max_value(6.0)), plain;
  ReLU leaky_capped(ReLUOptions().max_value(4.0).negative_slope(0.1));
  LeakyReLU leaky, leaky01(0.1);  // Keras's layer default: 0.3
  ELU elu_layer(ELUOptions().alpha(0.7));
  const std::vector<std::tuple<const char*, Layer*, std::function<double(double)>>> table{
      {"ReLU max_value 2.5", &capped, relu_ref(2.5, 0)},
      {"ReLU max_value 6", &six, relu_ref(6, 0)},
      {"ReLU max_value 4 slope 0.1", &leaky_capped, relu_ref(4, 0.1)},
      {"ReLU", &plain, relu_ref(INFINITY, 0)},
      {"LeakyReLU (0.3)", &leaky, relu_ref(INFINITY, 0.3)},
      {"LeakyReLU 0.1", &leaky01, relu_ref(INFINITY, 0.1)},
      {"ELU alpha 0.7", &elu_layer, [](double t) { return t > 0 ? t : 0.7 * std::expm1(t); }},
  };
  for (const auto& [what, layer, ref] : table)
    check_close(what, (*layer)(Variable(tensor(s, x))).value(), s, map_each(x, ref));
}

TEST_CASE("reference: broadcasting add, sub, mul, div, on variables and tensors") {
  const std::vector<std::pair<Shape, Shape>> pairs{
      {{4, 3}, {3}},    {{2, 1, 4}, {3, 1}}, {{3, 1}, {2, 1, 4}}, {{2, 3, 4}, {2, 1, 4}}, {{3, 4}, {3, 4}},
      {{3, 1}, {1, 4}}, {{}, {2, 3}},        {{5}, {1}},          {{2, 3, 1, 5}, {4, 1}}};
  for (const auto& [as, bs] : pairs) {
    const Vec a = dbl(random_tensor(as, gen, -2, 2));
    Vec b = dbl(random_tensor(bs, gen, 0.5f, 2));  // |b| >= 0.5 for div
    for (auto& v : b) v = gen.uniform() < 0.5f ? -v : v;
    const Variable va(tensor(as, a)), vb(tensor(bs, b));
    const std::string at = to_string(as) + " and " + to_string(bs);
    Shape out;
    const Vec sum = ref_binary('+', a, as, b, bs, out), diff = ref_binary('-', a, as, b, bs, out),
              prod = ref_binary('*', a, as, b, bs, out), quot = ref_binary('/', a, as, b, bs, out);
    check_close("add " + at, add(va, vb).value(), out, sum);
    check_close("sub " + at, sub(va, vb).value(), out, diff);
    check_close("mul " + at, mul(va, vb).value(), out, prod);
    check_close("div " + at, div(va, vb).value(), out, quot);
    check_close("Tensor + " + at, va.value() + vb.value(), out, sum);
    check_close("Tensor - " + at, va.value() - vb.value(), out, diff);
    check_close("Tensor * " + at, va.value() * vb.value(), out, prod);
    check_close("Tensor / " + at, va.value() / vb.value(), out, quot);
  }
}

TEST_CASE("reference: matmul and linear with each epilogue") {
  for (auto [m, k, n] :
       std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {1, 7, 5}, {5, 7, 1}, {13, 17, 11}, {64, 70, 33}}) {
    const Vec a = dbl(random_tensor({m, k}, gen)), b = dbl(random_tensor({k, n}, gen));
    Vec want(m * n, 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t p = 0; p < k; ++p) want[i * n + j] += a[i * k + p] * b[p * n + j];
    check_close("matmul " + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n),
                matmul(Variable(tensor({m, k}, a)), Variable(tensor({k, n}, b))).value(), {m, n}, want, 1e-4,
                1e-4);
  }
  // x (N, in), w (in, out) as Keras lays it out, bias (out) -> act(x w + bias)
  for (auto [n, in, out] : std::vector<std::array<int64_t, 3>>{{6, 5, 4}, {1, 9, 7}, {33, 20, 12}})
    for (Epilogue act : {Epilogue::None, Epilogue::Relu, Epilogue::Sigmoid, Epilogue::Tanh})
      for (bool bias : {true, false}) {
        const Vec x = dbl(random_tensor({n, in}, gen)), w = dbl(random_tensor({in, out}, gen));
        const Vec b = bias ? dbl(random_tensor({out}, gen)) : Vec{};
        Vec want(n * out);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < out; ++j) {
            double s = bias ? b[j] : 0.0;
            for (int64_t p = 0; p < in; ++p) s += x[i * in + p] * w[p * out + j];
            want[i * out + j] = epilogue_ref(act, s);
          }
        const Variable vb = bias ? Variable(tensor({out}, b)) : Variable();
        check_close("linear N=" + std::to_string(n) + " act " + std::to_string(static_cast<int>(act)) +
                        (bias ? " bias" : ""),
                    linear(Variable(tensor({n, in}, x)), Variable(tensor({in, out}, w)), vb, act).value(),
                    {n, out}, want, 1e-4, 1e-4);
      }
}

TEST_CASE("reference: conv2d against a naive 7-loop cross-correlation") {
  struct Case {
    Geo g;
    int64_t k;
    bool bias;
    Epilogue act;
  };
  const std::vector<Case> cases{
      {{2, 3, 7, 6, 3, 3, 1, 1, "valid"}, 4, true, Epilogue::None},
      {{2, 3, 7, 6, 3, 2, 2, 2, "same"}, 4, false, Epilogue::Relu},
      {{1, 2, 6, 7, 2, 3, 2, 1, "same"}, 3, true, Epilogue::Sigmoid},  // even kernel: extra row at the bottom
      {{2, 1, 5, 5, 3, 3, 1, 1, "1,2"}, 2, true, Epilogue::Tanh},      // explicit: 1 row, 2 columns each side
      {{2, 2, 9, 10, 5, 5, 2, 2, "valid"}, 3, true, Epilogue::None},
      {{2, 2, 8, 8, 4, 4, 3, 3, "same"}, 2, true, Epilogue::None},
      {{1, 3, 8, 8, 3, 3, 1, 1, "same"},
       5,
       true,
       Epilogue::Relu},  // one image: one GEMM split across threads
      {{2, 16, 6, 6, 3, 3, 1, 1, "same"}, 8, true, Epilogue::Relu},  // 16 input channels: oneDNN where built
      {{3, 16, 7, 5, 3, 2, 2, 1, "2"}, 6, false, Epilogue::Tanh},
  };
  for (Case c : cases) {
    c.g.resolve();
    const Geo& g = c.g;
    const Vec x = dbl(random_tensor({g.n, g.c, g.h, g.w}, gen)),
              w = dbl(random_tensor({c.k, g.c, g.kh, g.kw}, gen));
    const Vec b = c.bias ? dbl(random_tensor({c.k}, gen)) : Vec{};
    const Variable y =
        conv2d(Variable(tensor({g.n, g.c, g.h, g.w}, x)), Variable(tensor({c.k, g.c, g.kh, g.kw}, w)),
               c.bias ? Variable(tensor({c.k}, b)) : Variable(), g.sh, g.sw, Padding(g.pad), c.act);
    const std::string what = "conv2d x " + to_string({g.n, g.c, g.h, g.w}) + " w " +
                             to_string({c.k, g.c, g.kh, g.kw}) + " stride " + std::to_string(g.sh) + "," +
                             std::to_string(g.sw) + " " + g.pad;
    check_close(what, y.value(), {g.n, c.k, g.oh, g.ow}, ref_conv2d(x, w, b, g, c.k, c.act), 1e-4, 1e-4);
  }
}

TEST_CASE("reference: max and average pooling, global average pooling") {
  const std::vector<Geo> geos{{2, 3, 6, 7, 2, 2, 2, 2, "valid"}, {2, 3, 6, 7, 3, 3, 2, 2, "same"},
                              {1, 2, 7, 8, 2, 3, 1, 2, "valid"}, {1, 2, 5, 6, 3, 3, 1, 1, "same"},
                              {2, 2, 7, 7, 3, 3, 2, 2, "1"},     {1, 3, 8, 5, 2, 2, 3, 3, "same"},
                              {1, 1, 6, 6, 4, 2, 2, 1, "same"}};
  for (Geo g : geos) {
    g.resolve();
    // All-negative inputs too: a padded cell (never counted) must not win with its zero.
    for (auto [lo, hi] : {std::pair<float, float>{-1, 1}, {-3, -0.5f}}) {
      const Vec x = dbl(random_tensor({g.n, g.c, g.h, g.w}, gen, lo, hi));
      const Variable v(tensor({g.n, g.c, g.h, g.w}, x));
      const std::string what = to_string({g.n, g.c, g.h, g.w}) + " kernel " + std::to_string(g.kh) + "x" +
                               std::to_string(g.kw) + " stride " + std::to_string(g.sh) + "," +
                               std::to_string(g.sw) + " " + g.pad;
      const Shape out{g.n, g.c, g.oh, g.ow};
      check_close("max_pool2d " + what, max_pool2d(v, g.kh, g.kw, g.sh, g.sw, Padding(g.pad)).value(), out,
                  ref_pool(x, g, true));
      check_close("avg_pool2d " + what, avg_pool2d(v, g.kh, g.kw, g.sh, g.sw, Padding(g.pad)).value(), out,
                  ref_pool(x, g, false));
    }
  }
  const Vec x = dbl(random_tensor({2, 3, 5, 4}, gen));
  Vec want(6, 0.0);
  for (size_t i = 0; i < x.size(); ++i) want[i / 20] += x[i] / 20;
  check_close("global_avg_pool2d", global_avg_pool2d(Variable(tensor({2, 3, 5, 4}, x))).value(), {2, 3},
              want);
}

TEST_CASE("reference: batch normalization, training and inference") {
  // y = gamma (x - mean) / sqrt(var + epsilon) + beta, statistics per channel over all other
  // axes, the variance biased (divided by the count).
  struct Case {
    Shape s;
    int axis;
    bool affine;
  };
  for (const Case& c : std::vector<Case>{
           {{4, 3, 5, 2}, 1, true}, {{8, 5}, 1, true}, {{6, 4}, 1, false}, {{3, 2, 4}, 2, true}}) {
    const int64_t ch = c.s[c.axis];
    int64_t inner = 1;
    for (size_t d = c.axis + 1; d < c.s.size(); ++d) inner *= c.s[d];
    auto channel = [&](size_t i) { return ((static_cast<int64_t>(i) / inner) % ch); };
    const Vec x = dbl(random_tensor(c.s, gen, -1, 3));  // mean away from 0
    const Vec gamma = c.affine ? dbl(random_tensor({ch}, gen, 0.5f, 2)) : Vec(ch, 1.0);
    const Vec beta = c.affine ? dbl(random_tensor({ch}, gen)) : Vec(ch, 0.0);
    Vec mean(ch, 0.0), var(ch, 0.0);
    const double per = static_cast<double>(x.size()) / static_cast<double>(ch);
    for (size_t i = 0; i < x.size(); ++i) mean[channel(i)] += x[i] / per;
    for (size_t i = 0; i < x.size(); ++i)
      var[channel(i)] += (x[i] - mean[channel(i)]) * (x[i] - mean[channel(i)]) / per;
    auto normalize = [&](const Vec& m, const Vec& v, double eps) {
      Vec y(x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        const size_t k = channel(i);
        y[i] = gamma[k] * (x[i] - m[k]) / std::sqrt(v[k] + eps) + beta[k];
      }
      return y;
    };
    const Variable g = c.affine ? Variable(tensor({ch}, gamma)) : Variable();
    const Variable b = c.affine ? Variable(tensor({ch}, beta)) : Variable();
    Tensor got_mean, got_var;
    const std::string what = to_string(c.s) + " axis " + std::to_string(c.axis);
    check_close("batch_norm " + what,
                batch_norm(Variable(tensor(c.s, x)), g, b, c.axis, 1e-3f, &got_mean, &got_var).value(), c.s,
                normalize(mean, var, 1e-3), 1e-4, 1e-4);
    check_close("batch_norm mean " + what, got_mean, {ch}, mean, 1e-5, 1e-5);
    check_close("batch_norm variance " + what, got_var, {ch}, var, 1e-4, 1e-5);
    const Vec given_mean = dbl(random_tensor({ch}, gen)), given_var = dbl(random_tensor({ch}, gen, 0.1f, 3));
    check_close("batch_norm_inference " + what,
                batch_norm_inference(Variable(tensor(c.s, x)), g, b, tensor({ch}, given_mean),
                                     tensor({ch}, given_var), c.axis, 0.01f)
                    .value(),
                c.s, normalize(given_mean, given_var, 0.01), 1e-4, 1e-4);
  }
}

TEST_CASE("reference: dropout") {
  // Training: each output is 0 or x / (1 - rate), zeros a fraction near `rate` (100000 draws:
  // 0.01 is over 6 standard deviations). Rate 0 and inference are the identity.
  const Shape s{100000};
  const Vec x = dbl(random_tensor(s, gen, 0.5f, 1.5f));  // no zeros of its own
  const Variable v(tensor(s, x));
  for (float rate : {0.1f, 0.5f, 0.8f}) {
    Generator g(99);
    const auto y = dropout(v, rate, true, g).value().to_vector();
    REQUIRE(y.size() == x.size());
    size_t zeros = 0, bad = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      const double kept = x[i] / (1.0 - rate);
      if (y[i] == 0.0f)
        ++zeros;
      else if (!(std::fabs(y[i] - kept) <= 1e-6 * kept))
        ++bad;
    }
    CAPTURE(rate);
    CHECK_MESSAGE(bad == 0, bad << " outputs are neither 0 nor x / (1 - rate)");
    CHECK(std::fabs(static_cast<double>(zeros) / static_cast<double>(y.size()) - rate) <= 0.01);
  }
  Generator g(7);
  check_close("dropout rate 0, training", dropout(v, 0.0f, true, g).value(), s, x, 0, 0);
  check_close("dropout rate 0.5, inference", dropout(v, 0.5f, false, g).value(), s, x, 0, 0);
}

TEST_CASE("reference: sum, mean and reduce") {
  const Shape s{2, 3, 4};
  const Vec x = dbl(random_tensor(s, gen, -2, 3));
  const Variable v(tensor(s, x));
  double total = 0;
  for (double t : x) total += t;
  check_close("sum", sum(v).value(), {}, {total});
  check_close("mean", mean(v).value(), {}, {total / 24});
  check_close("sum (Tensor)", sum(v.value()), {}, {total});
  check_close("mean (Tensor)", mean(v.value()), {}, {total / 24});
  for (int axis : {0, 1, 2, -1, -3})
    for (bool keep : {false, true}) {
      const int a = axis < 0 ? axis + 3 : axis;
      Shape out = s;
      if (keep)
        out[a] = 1;
      else
        out.erase(out.begin() + a);
      const std::string what = " axis " + std::to_string(axis) + (keep ? " keepdims" : "");
      check_close("sum" + what, sum(v, axis, keep).value(), out, ref_reduce_axis(x, s, a, false));
      check_close("mean" + what, mean(v, axis, keep).value(), out, ref_reduce_axis(x, s, a, true));
    }
  const Vec per = dbl(random_tensor({5}, gen));
  for (Reduction r : kReductions)
    check_close("reduce" + reduction_name(r), reduce(Variable(tensor({5}, per)), r).value(),
                r == Reduction::None ? Shape{5} : Shape{}, ref_reduction(per, r));
}

TEST_CASE("reference: reshape, flatten, permute, transpose") {
  const Shape s{2, 3, 4};
  const Vec x = dbl(random_tensor(s, gen));
  const Variable v(tensor(s, x));
  check_close("reshape (4, -1)", reshape(v, {4, -1}).value(), {4, 6}, x, 0, 0);  // row-major order kept
  check_close("reshape (24)", reshape(v, {24}).value(), {24}, x, 0, 0);
  check_close("flatten", flatten(v).value(), {2, 12}, x, 0, 0);
  for (const std::vector<int>& axes :
       std::vector<std::vector<int>>{{2, 0, 1}, {1, 0, 2}, {0, 2, 1}, {0, 1, 2}}) {
    Shape out;
    const Vec want = ref_permute(x, s, axes, out);
    check_close("permute " + std::to_string(axes[0]) + std::to_string(axes[1]) + std::to_string(axes[2]),
                permute(v, axes).value(), out, want, 0, 0);
  }
  const Shape s4{2, 3, 2, 4};
  const Vec x4 = dbl(random_tensor(s4, gen));
  Shape out4;
  const Vec want4 = ref_permute(x4, s4, {0, 2, 3, 1}, out4);
  check_close("permute 0231", permute(Variable(tensor(s4, x4)), {0, 2, 3, 1}).value(), out4, want4, 0, 0);
  const Vec m = dbl(random_tensor({3, 5}, gen));
  Vec mt(15);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 5; ++j) mt[j * 3 + i] = m[i * 5 + j];
  check_close("transpose", transpose(Variable(tensor({3, 5}, m))).value(), {5, 3}, mt, 0, 0);
}
