// Arithmetic, reductions and selections on plain tensors (nn/tensor_ops.hpp), and one_hot.
#include <doctest/doctest.h>

#include <algorithm>

#include <cmath>
#include <stdexcept>

#include "nn/nn.hpp"
#include "threads.hpp"

using namespace nn;

TEST_CASE("elementwise arithmetic with broadcasting and scalars") {
  const Tensor a = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor row = Tensor::from_vector({3}, {10, 20, 30});
  CHECK((a + row).to_vector() == std::vector<float>{11, 22, 33, 14, 25, 36});
  CHECK((a - row).to_vector() == std::vector<float>{-9, -18, -27, -6, -15, -24});
  CHECK((a * 2.0f).to_vector() == std::vector<float>{2, 4, 6, 8, 10, 12});
  CHECK((a / 2.0f).to_vector() == std::vector<float>{0.5f, 1, 1.5f, 2, 2.5f, 3});
  CHECK((1.0f - a).to_vector() == std::vector<float>{0, -1, -2, -3, -4, -5});
  CHECK((12.0f / a).to_vector() == std::vector<float>{12, 6, 4, 3, 2.4f, 2});
  CHECK((-a).to_vector() == std::vector<float>{-1, -2, -3, -4, -5, -6});
  CHECK((a + 0.5f).to_vector() == std::vector<float>{1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f});
  CHECK((0.5f + a).to_vector() == (a + 0.5f).to_vector());
  for (int threads : test::kThreadCounts) {  // split across threads
    test::ThreadCount use(threads);
    const auto big = (Tensor::ones({40000}) * 3.0f - 1.0f).to_vector();
    CHECK_MESSAGE(std::count(big.begin(), big.end(), 2.0f) == 40000, threads << " threads");
  }
  CHECK((a * a).shape() == Shape{2, 3});
  CHECK_THROWS_AS(a + Tensor::ones({4}), std::invalid_argument);
}

TEST_CASE("compound assignment writes into the left operand's storage") {
  Tensor a = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  Tensor alias = a;
  a += Tensor::from_vector({2}, {10, 20});
  a *= 2.0f;
  CHECK(alias.to_vector() == std::vector<float>{22, 44, 26, 48});
  a /= 2.0f;
  a -= 1.0f;
  CHECK(a.to_vector() == std::vector<float>{10, 21, 12, 23});
  CHECK_THROWS_AS(a += Tensor::ones({3, 2, 2}), std::invalid_argument);  // would grow a
}

TEST_CASE("sum, mean, argmax, top_k, softmax") {
  const Tensor x = Tensor::from_vector({2, 4}, {0.1f, 3.0f, -1.0f, 3.0f, 5.0f, 1.0f, 2.0f, 4.0f});
  CHECK(sum(x).item() == doctest::Approx(17.1));
  CHECK(mean(x).item() == doctest::Approx(17.1 / 8));
  CHECK(argmax(x).to_vector<int64_t>() == std::vector<int64_t>{1, 0});  // first on ties
  CHECK(argmax(x, 0).to_vector<int64_t>() == std::vector<int64_t>{1, 0, 1, 1});
  const TopK top = top_k(x, 3);
  CHECK(top.values.shape() == Shape{2, 3});
  CHECK(top.values.to_vector() == std::vector<float>{3, 3, 0.1f, 5, 4, 2});
  CHECK(top.indices.to_vector<int64_t>() == std::vector<int64_t>{1, 3, 0, 0, 3, 2});
  CHECK_THROWS_AS(top_k(x, 5), std::invalid_argument);
  const Tensor p = softmax(x);
  const auto pv = p.to_vector();
  CHECK(pv[0] + pv[1] + pv[2] + pv[3] == doctest::Approx(1.0));
  CHECK(log_softmax(x).to_vector()[4] == doctest::Approx(std::log(pv[4])).epsilon(1e-5));
}

TEST_CASE("one_hot of one label, of a batch, and inside a map") {
  CHECK(one_hot(Tensor::scalar(2), 4).to_vector() == std::vector<float>{0, 0, 1, 0});
  CHECK(one_hot(Tensor::from_vector({2}, {1, 0}), 2).shape() == Shape{2, 2});
  CHECK_THROWS_AS(one_hot(Tensor::scalar(4), 4), std::out_of_range);
  CHECK_THROWS_AS(one_hot(Tensor::scalar(1.5f), 4), std::out_of_range);
  auto ds = data::Dataset::from_tensor_slices(Tensor::ones({3, 2}), Tensor::from_vector({3}, {0, 1, 2}))
                .map([](data::Example e) {
                  return data::Example{e.x, one_hot(e.y, 3)};
                })
                .batch(3);
  const auto batch = *ds.begin();
  CHECK(batch.y.shape() == Shape{3, 3});
  CHECK(batch.y.to_vector() == std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1});
}
