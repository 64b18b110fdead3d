#include <doctest/doctest.h>

#include <stdexcept>

#include "nn/nn.hpp"

using namespace nn;

TEST_CASE("backward computes d(sum(x*y))/dx = y and accumulates across calls") {
  Variable x(Tensor::from_vector({3}, {1, 2, 3}), true);
  Variable y(Tensor::from_vector({3}, {4, 5, 6}), true);
  sum(mul(x, y)).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{4, 5, 6});
  CHECK(y.grad().to_vector() == std::vector<float>{1, 2, 3});
  sum(mul(x, y)).backward();  // a new graph: leaf gradients add up
  CHECK(x.grad().to_vector() == std::vector<float>{8, 10, 12});
  x.zero_grad();
  CHECK_FALSE(x.has_grad());
}

TEST_CASE("a variable used twice gets both contributions") {
  Variable x(Tensor::from_vector({2}, {3, -1}), true);
  sum(mul(x, x)).backward();  // d/dx x² = 2x
  CHECK(x.grad().to_vector() == std::vector<float>{6, -2});
}

TEST_CASE("no-grad scope records nothing") {
  Variable x(Tensor::from_vector({2}, {1, 2}), true);
  Variable y;
  {
    NoGradGuard guard;
    CHECK_FALSE(grad_enabled());
    y = mul(x, x);
  }
  CHECK(grad_enabled());
  CHECK_FALSE(y.requires_grad());
  CHECK_THROWS_AS(sum(y).backward(), std::logic_error);
}

TEST_CASE("a frozen parameter gets no gradient") {
  Variable w(Tensor::from_vector({2}, {1, 2}), true);
  Variable b(Tensor::from_vector({2}, {3, 4}), true);
  b.set_requires_grad(false);
  sum(add(mul(w, w), b)).backward();
  CHECK(w.has_grad());
  CHECK_FALSE(b.has_grad());
}

TEST_CASE("backward needs a scalar or an explicit gradient") {
  Variable x(Tensor::from_vector({2}, {1, 2}), true);
  Variable y = scale(x, 3.0f);
  CHECK_THROWS_AS(y.backward(), std::invalid_argument);
  y.backward(Tensor::from_vector({2}, {1, 10}));
  CHECK(x.grad().to_vector() == std::vector<float>{3, 30});
}

TEST_CASE("detach cuts the graph") {
  Variable x(Tensor::from_vector({1}, {2}), true);
  Variable d = mul(x, x).detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.value().item() == 4.0f);
}
