// The CPU kernels against direct reference implementations.
#include <doctest/doctest.h>

#include <stdexcept>

#include <cmath>
#include <vector>

#include "gradcheck.hpp"

using namespace nn;

TEST_CASE("parallel gemm equals a naive product for every transpose combination") {
  Generator gen(3);
  Backend& be = backend_for(Device::cpu());
  const int64_t m = 130, n = 70, k = 90;  // big enough to be split across threads
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Tensor a = test::random_tensor(ta ? Shape{k, m} : Shape{m, k}, gen);
      Tensor b = test::random_tensor(tb ? Shape{n, k} : Shape{k, n}, gen);
      Tensor c = Tensor::full({m, n}, 1.0f);
      be.gemm(ta, tb, m, n, k, 2.0f, a.data(), ta ? m : k, b.data(), tb ? k : n, 0.5f, c.data(), n);
      int bad = 0;
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (int64_t p = 0; p < k; ++p)
            s += double(ta ? a.data()[p * m + i] : a.data()[i * k + p]) * (tb ? b.data()[j * k + p] : b.data()[p * n + j]);
          bad += std::fabs(c.data()[i * n + j] - (2 * s + 0.5)) > 1e-3;
        }
      CHECK_MESSAGE(bad == 0, "trans_a=" << ta << " trans_b=" << tb);
    }
}

TEST_CASE("conv2d forward equals a direct convolution") {
  Generator gen(5);
  Tensor x = test::random_tensor({3, 2, 7, 6}, gen), w = test::random_tensor({4, 2, 3, 3}, gen);
  Tensor b = test::random_tensor({4}, gen);
  const Conv2DParams p = conv2d_params(x.shape(), w.shape(), 2, 1, Padding::same());
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
          bad += std::fabs(y.at({n, k, oy, ox}) - s) > 1e-4;
        }
  CHECK(bad == 0);
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
    const int before = num_threads();
    set_num_threads(threads);
    Tensor dx(x.shape()), dw(w.shape()), db({2});
    be.conv2d_backward(p, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data());
    set_num_threads(before);
    return std::vector<std::vector<float>>{dx.to_vector(), dw.to_vector(), db.to_vector()};
  };
  const auto chunked = backward(4), per_image = backward(1);
  for (size_t t = 0; t < 3; ++t) {
    int bad = 0;
    for (size_t i = 0; i < chunked[t].size(); ++i)
      bad += !(std::fabs(chunked[t][i] - per_image[t][i]) <= 1e-3f + 1e-4f * std::fabs(per_image[t][i]));
    CHECK_MESSAGE(bad == 0, "gradient " << t << " (dx, dw, db): " << bad << " entries differ");
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
