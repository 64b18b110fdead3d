// The CPU kernels against direct reference implementations.
#include <doctest/doctest.h>

#include <stdexcept>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "backend/cpu/cpu_backend.hpp"
#include "backend/cpu/conv_kernels.hpp"
#include "backend/fallback.hpp"
#include "gradcheck.hpp"
#include "threads.hpp"

using namespace nn;

TEST_CASE("parallel gemm equals a naive product for every transpose combination") {
  Generator gen(3);
  Backend& be = backend_for(Device::cpu());
  // 2 m n k = 4.55e6 flops: over the 4e6 at which the product is split into panels across threads
  // (rows when m >= n, columns otherwise; 130 and 70 leave a short last panel).
  const int64_t k = 250;
  for (int threads : test::kThreadCounts)
    for (const auto& [m, n] : {std::pair<int64_t, int64_t>{130, 70}, {70, 130}})
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          test::ThreadCount use(threads);
          Tensor a = test::random_tensor(ta ? Shape{k, m} : Shape{m, k}, gen);
          Tensor b = test::random_tensor(tb ? Shape{n, k} : Shape{k, n}, gen);
          Tensor c = Tensor::full({m, n}, 1.0f);
          be.gemm(ta, tb, m, n, k, 2.0f, a.data(), ta ? m : k, b.data(), tb ? k : n, 0.5f, c.data(), n);
          int bad = 0;
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) {
              double s = 0;
              for (int64_t p = 0; p < k; ++p)
                s += double(ta ? a.data()[p * m + i] : a.data()[i * k + p]) *
                     (tb ? b.data()[j * k + p] : b.data()[p * n + j]);
              bad += !(std::fabs(c.data()[i * n + j] - (2 * s + 0.5)) <= 1e-3);
            }
          CHECK_MESSAGE(bad == 0,
                        "threads=" << threads << " m=" << m << " n=" << n << " trans_a=" << ta << " trans_b=" << tb);
        }
}

TEST_CASE("a gemm with one row or one column (the matrix-vector path) equals a naive product") {
  Generator gen(4);
  Backend& be = backend_for(Device::cpu());
  const int64_t k = 37;
  // 60000: over the size at which the product is split across threads.
  for (int threads : test::kThreadCounts)
    for (const auto& [m, n] : {std::pair<int64_t, int64_t>{1, 300}, {300, 1}, {1, 1}, {1, 60000}, {60000, 1}})
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          for (float beta : {0.0f, 0.5f}) {
            test::ThreadCount use(threads);
            // Operands inside wider matrices (leading dimensions larger than the shape), so a wrong
            // stride reads the padding; c holds NaN where beta == 0 must ignore it.
            const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
            Tensor a = test::random_tensor({ta ? k : m, lda}, gen);
            Tensor b = test::random_tensor({tb ? n : k, ldb}, gen);
            Tensor c = Tensor::full({m, ldc}, beta == 0.0f ? NAN : 1.0f);
            be.gemm(ta, tb, m, n, k, 2.0f, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);
            int bad = 0;
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j < ldc; ++j) {
                if (j >= n) {  // outside the product: untouched
                  bad += !(beta == 0.0f ? std::isnan(c.data()[i * ldc + j]) : c.data()[i * ldc + j] == 1.0f);
                  continue;
                }
                double s = 0;
                for (int64_t p = 0; p < k; ++p)
                  s += double(ta ? a.data()[p * lda + i] : a.data()[i * lda + p]) *
                       (tb ? b.data()[j * ldb + p] : b.data()[p * ldb + j]);
                bad += !(std::fabs(c.data()[i * ldc + j] - (2 * s + beta)) <= 1e-3);
              }
            CHECK_MESSAGE(bad == 0, "threads=" << threads << " m=" << m << " n=" << n << " trans_a=" << ta
                                               << " trans_b=" << tb << " beta=" << beta);
          }
}

TEST_CASE("NN_CONV chooses the convolution kernels, and a wrong value is refused by name") {
  Backend& be = backend_for(Device::cpu());
  Conv2DParams p;
  p.n = 2, p.c = 16, p.h = 6, p.w = 6, p.k = 8, p.kh = 3, p.kw = 3;
  const char* before = std::getenv("NN_CONV");
  const std::string saved = before ? before : "";
  setenv("NN_CONV", "im2col", 1);
  CHECK(be.plan_conv2d(p)->describe() == "im2col + OpenBLAS");
  setenv("NN_CONV", "cudnn", 1);
  CHECK_THROWS_WITH_AS(be.plan_conv2d(p), doctest::Contains("NN_CONV='cudnn'"), std::invalid_argument);
  if (before) setenv("NN_CONV", saved.c_str(), 1);
  else unsetenv("NN_CONV");
  // With oneDNN built in, it takes 16 input channels but not 1 (im2col is faster there).
  const auto sixteen = detail::make_cpu_conv_plan(p, detail::ConvProvider::Onednn)->describe();
  CHECK(sixteen.rfind(detail::vendor_conv_kernels().name ? "oneDNN" : "im2col", 0) == 0);
  p.c = 1;
  CHECK(detail::make_cpu_conv_plan(p, detail::ConvProvider::Onednn)->describe() == "im2col + OpenBLAS");
}

TEST_CASE("conv2d forward equals a direct convolution") {
  Generator gen(5);
  Tensor x = test::random_tensor({3, 2, 7, 6}, gen), w = test::random_tensor({4, 2, 3, 3}, gen);
  Tensor b = test::random_tensor({4}, gen);
  const Conv2DParams p = conv2d_params(x.shape(), w.shape(), 2, 1, Padding::same());
  for (int threads : test::kThreadCounts) {
    CAPTURE(threads);
    test::ThreadCount use(threads);
    Tensor y = conv2d(Variable(x), Variable(w), Variable(b), 2, 1, Padding::same()).value();
    CHECK(y.shape() == Shape{3, 4, 4, 6});
    int bad = 0;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t k = 0; k < 4; ++k)
        for (int64_t oy = 0; oy < p.out_h(); ++oy)
          for (int64_t ox = 0; ox < p.out_w(); ++ox) {
            double s = b.data()[k];
            for (int64_t c = 0; c < 2; ++c)
              for (int64_t i = 0; i < 3; ++i)
                for (int64_t j = 0; j < 3; ++j) {
                  const int64_t iy = oy * 2 - p.pad_top + i, ix = ox - p.pad_left + j;
                  if (iy >= 0 && iy < 7 && ix >= 0 && ix < 6)
                    s += double(x.at({n, c, iy, ix})) * w.at({k, c, i, j});
                }
            bad += !(std::fabs(y.at({n, k, oy, ox}) - s) <= 1e-4);
          }
    CHECK(bad == 0);
  }
}

TEST_CASE("conv2d backward: the chunked path (fewer images than threads, big columns) equals the per-image one") {
  // 3 images on 4 threads take the path that splits one large GEMM per chunk of images; with
  // K * P = 576 * 6400 floats per image, the 8M-float column budget makes 2 chunks, the second
  // adding to dw (beta = 1). One thread takes the per-image path. Both must agree.
  Generator gen(11);
  Backend& be = backend_for(Device::cpu());
  Tensor x = test::random_tensor({3, 64, 80, 80}, gen), w = test::random_tensor({2, 64, 3, 3}, gen);
  const Conv2DParams p = conv2d_params(x.shape(), w.shape(), 1, 1, Padding::same());
  Tensor dy = test::random_tensor({3, 2, p.out_h(), p.out_w()}, gen);
  auto backward = [&](int threads) {
    test::ThreadCount use(threads);
    Tensor dx(x.shape()), dw(w.shape()), db({2});
    be.conv2d_backward(*be.plan_conv2d(p), p, x.data(), w.data(), nullptr, dy.data(), Epilogue::None, dx.data(),
                       dw.data(), db.data());
    return std::vector<std::vector<float>>{dx.to_vector(), dw.to_vector(), db.to_vector()};
  };
  const auto per_image = backward(1);
  for (int threads : {2, 3, 4}) {
    const auto chunked = backward(threads);
    for (size_t t = 0; t < 3; ++t) {
      int bad = 0;
      for (size_t i = 0; i < chunked[t].size(); ++i)
        bad += !(std::fabs(chunked[t][i] - per_image[t][i]) <= 1e-3f + 1e-4f * std::fabs(per_image[t][i]));
      CHECK_MESSAGE(bad == 0,
                    threads << " threads, gradient " << t << " (dx, dw, db): " << bad << " entries differ");
    }
  }
}

TEST_CASE("every 2x2 max-pool row kernel equals the window rule, row ends, ties and NaNs included") {
  Generator gen(8);
  for (const auto& kernel : detail::max_pool_2x2_row_kernels())
    for (int64_t w = 2; w <= 71; ++w) {  // 1 to 35 outputs: whole vectors, tails, odd widths
      const int64_t ow = w / 2;
      std::vector<float> in(static_cast<size_t>(2 * w) + 1);  // two rows and one cell past them
      for (auto& v : in) v = static_cast<float>(static_cast<int>(gen.uniform() * 5));  // many ties
      for (size_t i = 3; i < in.size(); i += 11) in[i] = NAN;
      for (size_t i = 5; i < in.size(); i += 13) in[i] = -INFINITY;
      std::vector<float> out(static_cast<size_t>(ow) + 1, 42.0f);
      std::vector<int32_t> arg(static_cast<size_t>(ow) + 1, -7);
      const int32_t base = 1000;
      kernel.forward(in.data(), w, out.data(), arg.data(), ow, base);
      int bad = 0;
      for (int64_t ox = 0; ox < ow; ++ox) {
        const int64_t cells[4] = {2 * ox, 2 * ox + 1, w + 2 * ox, w + 2 * ox + 1};  // row-major
        int64_t best = cells[0];
        for (int64_t c : cells)
          if (in[c] > in[best] || (std::isnan(in[c]) && !std::isnan(in[best]))) best = c;
        const bool same_value = std::isnan(in[best]) ? std::isnan(out[ox]) : out[ox] == in[best];
        bad += !same_value || arg[ox] != base + best;
      }
      bad += out[ow] != 42.0f || arg[ow] != -7;  // nothing written past the row
      CHECK_MESSAGE(bad == 0, std::string(kernel.name) << " width " << w);
      // Backward: each gradient at its argmax, zeros elsewhere in both rows, nothing past them.
      std::vector<float> g(static_cast<size_t>(ow)), d(in.size(), NAN);
      for (auto& v : g) v = gen.uniform() + 0.5f;
      kernel.backward(g.data(), arg.data(), d.data(), w, ow, base);
      std::vector<float> want(static_cast<size_t>(2 * w), 0.0f);
      for (int64_t ox = 0; ox < ow; ++ox) want[static_cast<size_t>(arg[ox] - base)] += g[ox];
      int bad_dx = !std::isnan(d.back());
      for (int64_t i = 0; i < 2 * w; ++i) bad_dx += !(d[i] == want[i]);
      CHECK_MESSAGE(bad_dx == 0, std::string(kernel.name) << " backward, width " << w);
    }
}

TEST_CASE("2x2 max-pool backward: each window's gradient at its argmax, zeros elsewhere, odd sizes included") {
  Generator gen(9);
  Backend& be = backend_for(Device::cpu());
  for (const auto& [h, w] : {std::pair<int64_t, int64_t>{4, 6}, {5, 7}, {28, 28}, {7, 3}, {3, 40}}) {
    Pool2DParams p;
    p.n = 2, p.c = 3, p.h = h, p.w = w;
    const int64_t oh = p.out_h(), ow = p.out_w(), planes = p.n * p.c;
    Tensor x = test::random_tensor({p.n, p.c, h, w}, gen), dy = test::random_tensor({p.n, p.c, oh, ow}, gen);
    Tensor y = Tensor::zeros({p.n, p.c, oh, ow});
    std::vector<int32_t> arg(static_cast<size_t>(planes * oh * ow));
    be.max_pool2d_forward(p, x.data(), y.data(), arg.data());
    Tensor dx = Tensor::full({p.n, p.c, h, w}, NAN);
    be.max_pool2d_backward(p, dy.data(), arg.data(), dx.data());
    std::vector<float> want(static_cast<size_t>(planes * h * w), 0.0f);
    for (int64_t plane = 0; plane < planes; ++plane)
      for (int64_t i = 0; i < oh * ow; ++i) {
        const int64_t oy = i / ow, ox = i % ow, at = arg[static_cast<size_t>(plane * oh * ow + i)];
        // the argmax lies in its own window
        CHECK((at / w >= 2 * oy && at / w < 2 * oy + 2 && at % w >= 2 * ox && at % w < 2 * ox + 2));
        want[static_cast<size_t>(plane * h * w + at)] += dy.data()[plane * oh * ow + i];
      }
    int bad = 0;
    for (size_t i = 0; i < want.size(); ++i) bad += !(dx.data()[i] == want[i]);
    CHECK_MESSAGE(bad == 0, h << "x" << w);
  }
}

TEST_CASE("max_pool2d keeps the argmax and padding never wins") {
  Tensor x = Tensor::from_vector({1, 1, 3, 3}, {-5, -4, -3, -2, -1, -6, -7, -8, -9});
  Variable xv(x, true);
  Variable y = max_pool2d(xv, 2, 2, 2, 2, Padding::same());  // pads bottom/right by one
  CHECK(y.value().to_vector() == std::vector<float>{-1, -3, -7, -9});
  sum(y).backward();
  CHECK(xv.grad().to_vector() == std::vector<float>{0, 0, 1, 0, 1, 0, 1, 0, 1});
}

TEST_CASE("dropout: seeded, inverted, identity in evaluation") {
  Tensor x = Tensor::ones({10000});
  Generator g1(11), g2(11);
  Tensor a = dropout(Variable(x), 0.3f, true, g1).value();
  Tensor b = dropout(Variable(x), 0.3f, true, g2).value();
  CHECK(a.to_vector() == b.to_vector());
  int zeros = 0;
  for (float v : a.to_vector()) {
    CHECK((v == 0.0f || std::fabs(v - 1.0f / 0.7f) < 1e-6f));
    zeros += v == 0.0f;
  }
  CHECK(zeros > 2700);
  CHECK(zeros < 3300);
  CHECK(dropout(Variable(x), 0.3f, false).value().same_storage(x));
  CHECK_THROWS_AS(dropout(Variable(x), 1.0f, true), std::invalid_argument);
}

TEST_CASE("dropout rows: each replica's rows draw the global batch's masks, independent across replicas") {
  // A global batch of 12 rows of 5; replica r of 3 holds rows r, r + 3, r + 6, r + 9.
  Tensor x = Tensor::ones({12, 5});
  Generator g(21);
  const std::vector<float> global = dropout(Variable(x), 0.5f, true, g).value().to_vector();
  for (int64_t r = 0; r < 3; ++r) {
    Generator gr(21);  // the same seed on every replica
    const std::vector<float> mine =
        dropout(Variable(Tensor::ones({4, 5})), 0.5f, true, gr, DropoutRows{r, 3}).value().to_vector();
    for (size_t j = 0; j < 4; ++j)
      for (size_t f = 0; f < 5; ++f) CHECK(mine[j * 5 + f] == global[(static_cast<size_t>(r) + 3 * j) * 5 + f]);
  }
  Generator g0(21), g1(21);
  CHECK(dropout(Variable(Tensor::ones({4, 5})), 0.5f, true, g0, DropoutRows{0, 3}).value().to_vector() !=
        dropout(Variable(Tensor::ones({4, 5})), 0.5f, true, g1, DropoutRows{1, 3}).value().to_vector());
  CHECK_THROWS_AS(dropout(Variable(x), 0.5f, true, g, DropoutRows{3, 3}), std::invalid_argument);
}

TEST_CASE("the thread count can change") {
  const int before = num_threads();
  set_num_threads(1);
  CHECK(num_threads() == 1);
  Tensor a = Tensor::ones({64, 64});
  CHECK(matmul(Variable(a), Variable(a)).value().at({3, 3}) == 64.0f);
  set_num_threads(before);
  CHECK(num_threads() == before);
  CHECK_THROWS(set_num_threads(0));
}

TEST_CASE("a fused activation equals the separate op, values and gradients, on both convolution paths") {
  // Each epilogue against the same computation written as two ops; one thread takes the
  // per-image path and three images on four threads the one-GEMM path.
  Generator gen(21);
  Tensor x = test::random_tensor({3, 2, 7, 6}, gen), w = test::random_tensor({4, 2, 3, 3}, gen),
         b = test::random_tensor({4}, gen), r = test::random_tensor({3, 4, 7, 6}, gen);
  Tensor xd = test::random_tensor({5, 6}, gen), wd = test::random_tensor({6, 3}, gen), bd = test::random_tensor({3}, gen),
         rd = test::random_tensor({5, 3}, gen);
  struct Case { Epilogue act; Variable (*op)(const Variable&); };
  const Case cases[] = {{Epilogue::Relu, [](const Variable& v) { return relu(v); }},
                        {Epilogue::Sigmoid, [](const Variable& v) { return sigmoid(v); }},
                        {Epilogue::Tanh, [](const Variable& v) { return nn::tanh(v); }},
                        {Epilogue::None, [](const Variable& v) { return v; }}};
  // value and the gradients of sum(y * r) with respect to every input
  auto run = [](const std::function<Variable(std::vector<Variable>&)>& f, std::vector<Tensor> in, const Tensor& weights) {
    std::vector<Variable> v;
    for (auto& t : in) v.emplace_back(t, true);
    Variable y = f(v);
    sum(mul(y, Variable(weights))).backward();
    std::vector<std::vector<float>> out{y.value().to_vector()};
    for (auto& vi : v) out.push_back(vi.grad().to_vector());
    return out;
  };
  auto same = [](const std::vector<std::vector<float>>& got, const std::vector<std::vector<float>>& want) {
    int bad = 0;
    for (size_t t = 0; t < got.size(); ++t)
      for (size_t i = 0; i < got[t].size(); ++i)
        bad += !(std::fabs(got[t][i] - want[t][i]) <= 1e-5f + 1e-5f * std::fabs(want[t][i]));
    return bad;
  };
  const int before = num_threads();
  for (const auto& c : cases) {
    CAPTURE(static_cast<int>(c.act));
    for (int threads : {1, 2, 3, 4}) {
      CAPTURE(threads);
      set_num_threads(threads);
      Conv2DPlanCache plans;
      const auto fused = run([&](auto& v) { return conv2d(v[0], v[1], v[2], 1, 1, Padding::same(), c.act, &plans); },
                             {x, w, b}, r);
      const auto separate = run([&](auto& v) { return c.op(conv2d(v[0], v[1], v[2], 1, 1, Padding::same())); },
                                {x, w, b}, r);
      CHECK(same(fused, separate) == 0);
    }
    const auto fused = run([&](auto& v) { return linear(v[0], v[1], v[2], c.act); }, {xd, wd, bd}, rd);
    const auto separate = run([&](auto& v) { return c.op(linear(v[0], v[1], v[2])); }, {xd, wd, bd}, rd);
    CHECK(same(fused, separate) == 0);
    const auto no_bias = run([&](auto& v) { return linear(v[0], v[1], Variable(), c.act); }, {xd, wd}, rd);
    const auto no_bias_separate = run([&](auto& v) { return c.op(matmul(v[0], v[1])); }, {xd, wd}, rd);
    CHECK(same(no_bias, no_bias_separate) == 0);
  }
  set_num_threads(before);
}

TEST_CASE("a convolution plan is checked against the geometry it is used for") {
  Backend& be = backend_for(Device::cpu());
  Tensor x = Tensor::zeros({1, 2, 5, 5}), w = Tensor::zeros({3, 2, 3, 3}), y({1, 3, 3, 3});
  const Conv2DParams p = conv2d_params(x.shape(), w.shape(), 1, 1, Padding::valid());
  const Conv2DParams other = conv2d_params(Shape{1, 2, 6, 6}, w.shape(), 1, 1, Padding::valid());
  auto plan = be.plan_conv2d(other);
  CHECK_THROWS_WITH_AS(be.conv2d_forward(*plan, p, x.data(), w.data(), nullptr, Epilogue::None, y.data()),
                       doctest::Contains("not made by the CPU backend for this geometry"), std::invalid_argument);
  // The cache remakes its plan when the geometry changes, and keeps it while it does not.
  Conv2DPlanCache plans;
  auto first = plans.get(be, p);
  CHECK(plans.get(be, p) == first);
  Conv2DParams bigger_batch = p;
  bigger_batch.n = 7;
  CHECK(plans.get(be, bigger_batch) == first);
  CHECK(plans.get(be, other) != first);
}

namespace {
// A backend that declines top_k (as a new GPU backend might): calling it anyway is a bug.
class DecliningBackend final : public detail::CpuBackend {
 public:
  bool supports(Kernel kernel) const override { return kernel != Kernel::TopK; }
  void top_k(const float*, float*, int64_t*, int64_t, int64_t, int64_t) override {
    throw std::logic_error("a declined kernel was called");
  }
};
}  // namespace

TEST_CASE("a kernel a backend declines runs on the CPU backend over host copies") {
  DecliningBackend declining;
  const Tensor x = Tensor::from_vector({2, 4}, {0.5f, 3.0f, -1.0f, 2.0f, 7.0f, 7.5f, 0.0f, -2.0f});
  Tensor values({2, 2}), indices({2, 2}, TensorOptions().dtype(kInt64));
  const Backend* ran_on = nullptr;
  detail::run_kernel(declining, Kernel::TopK, {&x}, {&values, &indices},
                     [&](Backend& be, const auto& in, const auto& out) {
                       ran_on = &be;
                       be.top_k(detail::as<float>(in[0]), detail::as<float>(out[0]), detail::as<int64_t>(out[1]), 2, 4, 2);
                     });
  CHECK(ran_on == &backend_for(Device::cpu()));
  CHECK(values.to_vector() == std::vector<float>{3.0f, 2.0f, 7.5f, 7.0f});
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{1, 3, 1, 0});
  // A kernel it supports runs on the backend itself, on the operands' own memory.
  Tensor arg({2}, TensorOptions().dtype(kInt64));
  detail::run_kernel(declining, Kernel::Argmax, {&x}, {&arg}, [&](Backend& be, const auto& in, const auto& out) {
    ran_on = &be;
    CHECK(in[0] == x.data());
    be.argmax(detail::as<float>(in[0]), detail::as<int64_t>(out[0]), 2, 4, 1);
  });
  CHECK(ran_on == &declining);
  CHECK(arg.to_vector<int64_t>() == std::vector<int64_t>{1, 1});
}
