#include <doctest/doctest.h>

#include <stdexcept>

#include <stdexcept>

#include "nn/nn.hpp"
#include "nn/xtensor.hpp"

using namespace nn;

TEST_CASE("tensor basics: shape, fill, reshape, slice, clone") {
  Tensor t = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(t.ndim() == 2);
  CHECK(t.numel() == 6);
  CHECK(t.dim(-1) == 3);
  CHECK(t.device() == Device::cpu());
  CHECK(t.at({1, 2}) == 6.0f);
  Tensor r = t.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.same_storage(t));
  Tensor s = t.slice(1, 2);
  CHECK(s.shape() == Shape{1, 3});
  CHECK(s.to_vector() == std::vector<float>{4, 5, 6});
  Tensor c = t.clone();
  c.fill(0.0f);
  CHECK(t.at({0, 0}) == 1.0f);
  CHECK_THROWS_AS(t.reshape({4, 2}), std::invalid_argument);
  CHECK_THROWS_AS(t.slice(1, 3), std::out_of_range);
  CHECK_THROWS_AS(Tensor::from_vector({2, 2}, {1, 2, 3}), std::invalid_argument);
  CHECK(to_string(Shape{-1, 784}) == "(None, 784)");
  CHECK(to_string(Shape{10}) == "(10,)");
}

TEST_CASE("broadcast_shapes follows NumPy and names both shapes on error") {
  CHECK(broadcast_shapes({4, 1, 3}, {5, 1}) == Shape{4, 5, 3});
  CHECK(broadcast_shapes({}, {2, 2}) == Shape{2, 2});
  try {
    broadcast_shapes({2, 3}, {4});
    FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("(2, 3)") != std::string::npos);
    CHECK(std::string(e.what()).find("(4,)") != std::string::npos);
  }
}

TEST_CASE("xtensor interop") {
  Tensor t = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  auto x = as_xtensor(t);
  CHECK(x(1, 0) == 3.0f);
  x(0, 1) = 7.0f;
  CHECK(t.at({0, 1}) == 7.0f);
  Tensor back = from_xtensor(xt::linalg::dot(x, x));  // through xtensor-blas
  CHECK(back.at({0, 0}) == doctest::Approx(1 + 7 * 3));
}

TEST_CASE("CPU device and unknown devices") {
  CHECK(device_available(Device::cpu()));
  CHECK_FALSE(device_available(Device::cuda()));
  CHECK_THROWS_AS(Tensor({2}, Device::cuda()), std::runtime_error);
  CHECK(backend_for(Device::cpu()).name().find("cpu") == 0);
}
