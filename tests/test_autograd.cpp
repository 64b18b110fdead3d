#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "gradcheck.hpp"
#include "nn/nn.hpp"

using namespace nn;
using nn::test::random_tensor;

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

TEST_CASE("a leaf's grad_ready hook fires once per backward, when its gradient is complete, before earlier layers") {
  // y = sum(relu(x W1) W2) with W1 used twice (x W1 + x W1): W2's gradient is ready first.
  Generator g(3);
  Variable x(random_tensor({4, 3}, g));
  Variable w1(random_tensor({3, 5}, g), true), w2(random_tensor({5, 2}, g), true);
  std::vector<std::string> fired;
  Tensor w1_at_hook;
  w1.set_grad_ready_hook([&] {
    fired.push_back("w1");
    w1_at_hook = w1.grad().clone();
  });
  w2.set_grad_ready_hook([&] { fired.push_back("w2"); });
  const auto loss = [&] { return sum(matmul(relu(add(matmul(x, w1), matmul(x, w1))), w2)); };
  loss().backward();
  CHECK(fired == std::vector<std::string>{"w2", "w1"});
  REQUIRE(w1_at_hook.defined());
  CHECK(w1_at_hook.to_vector() == w1.grad().to_vector());  // both uses had added their share
  // Once per pass; a pass that does not reach a leaf does not call its hook.
  fired.clear();
  w1.zero_grad();
  w2.zero_grad();
  loss().backward();
  CHECK(fired == std::vector<std::string>{"w2", "w1"});
  fired.clear();
  sum(matmul(x, w1)).backward();
  CHECK(fired == std::vector<std::string>{"w1"});
  w1.set_grad_ready_hook(nullptr);
  fired.clear();
  loss().backward();
  CHECK(fired == std::vector<std::string>{"w2"});
}
