#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
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

TEST_CASE("element types: options, checked typed access, conversions") {
  CHECK(Tensor::ones({2}).dtype() == kFloat32);
  const Tensor labels = Tensor::from_vector({4}, std::vector<int64_t>{3, 0, 9, 1});
  CHECK(labels.dtype() == kInt64);
  CHECK(labels.nbytes() == 32);
  CHECK(labels.to_vector<int64_t>() == std::vector<int64_t>{3, 0, 9, 1});
  CHECK_THROWS_WITH_AS(labels.item(), doctest::Contains("is not one element"), std::invalid_argument);
  CHECK(labels.at({2}) == 9.0f);
  // The wrong element type is an error naming both.
  CHECK_THROWS_WITH_AS(labels.data(), doctest::Contains("float32 access to a tensor of dtype int64 and shape (4,)"),
                       std::invalid_argument);
  CHECK_THROWS_AS(labels.to_vector(), std::invalid_argument);
  // Slices of any dtype keep their element size.
  CHECK(labels.slice(2, 4).to_vector<int64_t>() == std::vector<int64_t>{9, 1});
  const Tensor bytes = Tensor::from_vector({5}, std::vector<uint8_t>{0, 1, 128, 254, 255});
  CHECK(bytes.slice(3, 5).to_vector<uint8_t>() == std::vector<uint8_t>{254, 255});
  CHECK(bytes.slice(1, 4).clone().to_vector<uint8_t>() == std::vector<uint8_t>{1, 128, 254});
  // Factories with options.
  const Tensor z = Tensor::zeros({2, 2}, TensorOptions().dtype(kInt32));
  CHECK(z.dtype() == kInt32);
  CHECK(z.to_vector<int32_t>() == std::vector<int32_t>(4, 0));
  CHECK(Tensor::full({3}, 7.9, TensorOptions().dtype(kUInt8)).to_vector<uint8_t>() == std::vector<uint8_t>(3, 7));
  Tensor filled({3}, TensorOptions().dtype(kInt64));
  filled.fill(-2.0f);
  CHECK(filled.to_vector<int64_t>() == std::vector<int64_t>(3, -2));
  // Conversions: integers to float exactly; floats to integers truncated, saturated, NaN -> 0.
  CHECK(bytes.to(kFloat32).to_vector() == std::vector<float>{0, 1, 128, 254, 255});
  const Tensor f = Tensor::from_vector({7}, {1.9f, -1.9f, 300.0f, -5.0f, std::nanf(""), 1e30f, -1e30f});
  CHECK(f.to(kUInt8).to_vector<uint8_t>() == std::vector<uint8_t>{1, 0, 255, 0, 0, 255, 0});
  CHECK(f.to(kInt32).to_vector<int32_t>() ==
        std::vector<int32_t>{1, -1, 300, -5, 0, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()});
  CHECK(f.to(kInt64).to(kFloat32).to_vector()[2] == 300.0f);
  CHECK(labels.to(kInt64).same_storage(labels));  // already that dtype: itself
  // copy_from needs the same dtype.
  Tensor g({4});
  CHECK_THROWS_WITH_AS(g.copy_from(labels), doctest::Contains("a tensor of dtype int64 into one of dtype float32"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(dtype_from_string("float64"), doctest::Contains("unknown dtype 'float64'"), std::invalid_argument);
  for (DType t : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8}) CHECK(dtype_from_string(to_string(t)) == t);
}

TEST_CASE("float16 and bfloat16: every half round-trips, rounding is to nearest even") {
  // Every one of the 65,536 float16 patterns: to float and back is the same pattern (NaNs stay NaN).
  int mismatches = 0;
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const Half h{static_cast<uint16_t>(bits)};
    const float v = to_float(h);
    const bool nan = (bits & 0x7c00u) == 0x7c00u && (bits & 0x3ffu);
    if (nan ? !std::isnan(v) || !std::isnan(to_float(to_half(v))) : to_half(v).bits != bits) ++mismatches;
  }
  CHECK(mismatches == 0);
  // Values a reference gives: the smallest subnormal, the largest normal, overflow, ties to even.
  CHECK(to_float(Half{0x0001}) == std::ldexp(1.0f, -24));
  CHECK(to_float(Half{0x7bff}) == 65504.0f);
  CHECK(to_half(65520.0f).bits == 0x7c00);  // rounds up to infinity
  CHECK(to_half(65519.0f).bits == 0x7bff);
  CHECK(to_half(1.0f + std::ldexp(1.0f, -11)).bits == 0x3c00);  // halfway between 1 and its successor: even
  CHECK(to_half(1.0f + 3 * std::ldexp(1.0f, -11)).bits == 0x3c02);  // halfway, the odd one rounds up
  CHECK(to_half(std::ldexp(1.0f, -25)).bits == 0x0000);             // half the smallest subnormal: even (0)
  CHECK(to_half(std::ldexp(1.5f, -25)).bits == 0x0001);
  CHECK(to_half(-0.0f).bits == 0x8000);
  // bfloat16 keeps float's exponent: 8 bits of mantissa, ties to even.
  CHECK(to_float(to_bfloat16(1.0f)) == 1.0f);
  CHECK(to_bfloat16(1.0f + std::ldexp(1.0f, -8)).bits == 0x3f80);      // tie: even
  CHECK(to_bfloat16(1.0f + 3 * std::ldexp(1.0f, -8)).bits == 0x3f82);  // tie: the odd one rounds up
  CHECK(std::isnan(to_float(to_bfloat16(std::nanf("")))));
  CHECK(std::isinf(to_float(to_bfloat16(std::numeric_limits<float>::max()))));  // rounds past the largest
  // As tensors: float32 -> float16 -> float32 rounds each element once.
  const Tensor x = Tensor::from_vector({3}, {0.1f, 1000.0f, -2.5f});
  const std::vector<float> back = x.to(kFloat16).to(kFloat32).to_vector();
  CHECK(back[0] == to_float(to_half(0.1f)));
  CHECK(back[1] == 1000.0f);
  CHECK(back[2] == -2.5f);
  CHECK(x.to(kBFloat16).dtype() == kBFloat16);
  CHECK(x.to(kBFloat16).to(kFloat32).to_vector()[1] == 1000.0f);
}
