// A central-difference gradient check for every op (see gradcheck.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "gradcheck.hpp"
#include "threads.hpp"

using namespace nn;
using nn::test::gradcheck;
using nn::test::random_tensor;

namespace {
Generator gen(1234);

// Values at least `gap` away from zero, so kinks (relu, abs) sit outside the probe step.
Tensor away_from_zero(const Shape& s, float gap = 0.1f) {
  auto v = random_tensor(s, gen).to_vector();
  for (auto& x : v) x = x >= 0 ? x + gap : x - gap;
  return Tensor::from_vector(s, v);
}

// A permutation of well-separated values, so max-pool winners cannot swap within the step.
Tensor distinct(const Shape& s) {
  std::vector<float> v(static_cast<size_t>(numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.1f * static_cast<float>(i);
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[gen.below(i)]);
  return Tensor::from_vector(s, v);
}
}  // namespace

TEST_CASE("matmul and linear") {
  gradcheck([](auto& in) { return matmul(in[0], in[1]); }, {random_tensor({3, 4}, gen), random_tensor({4, 5}, gen)});
  gradcheck([](auto& in) { return linear(in[0], in[1], in[2]); },
            {random_tensor({6, 4}, gen), random_tensor({4, 3}, gen), random_tensor({3}, gen)});
  gradcheck([](auto& in) { return linear(in[0], in[1], Variable()); },
            {random_tensor({2, 5}, gen), random_tensor({5, 3}, gen)});
}

TEST_CASE("linear and conv2d with a fused activation") {
  // The smooth epilogues (relu's kink is compared with the separate op in test_backend.cpp).
  for (Epilogue act : {Epilogue::Sigmoid, Epilogue::Tanh}) {
    CAPTURE(static_cast<int>(act));
    gradcheck([act](auto& in) { return linear(in[0], in[1], in[2], act); },
              {random_tensor({6, 4}, gen), random_tensor({4, 3}, gen), random_tensor({3}, gen)});
    gradcheck([act](auto& in) { return conv2d(in[0], in[1], in[2], 2, 1, Padding::same(), act); },
              {random_tensor({2, 2, 5, 6}, gen), random_tensor({3, 2, 3, 3}, gen), random_tensor({3}, gen)});
  }
}

TEST_CASE("large matmul split across threads") {
  for (int threads : test::kThreadCounts) {
    CAPTURE(threads);
    test::ThreadCount use(threads);
    gradcheck([](auto& in) { return matmul(in[0], in[1]); },
              {random_tensor({96, 80}, gen), random_tensor({80, 72}, gen)}, {1e-2, 5e-3, 2e-2, 24});
  }
}

TEST_CASE("broadcasting add, sub, mul, div") {
  gradcheck([](auto& in) { return add(in[0], in[1]); }, {random_tensor({4, 3}, gen), random_tensor({3}, gen)});
  gradcheck([](auto& in) { return sub(in[0], in[1]); }, {random_tensor({2, 1, 4}, gen), random_tensor({3, 1}, gen)});
  gradcheck([](auto& in) { return mul(in[0], in[1]); }, {random_tensor({2, 3, 4}, gen), random_tensor({2, 1, 4}, gen)});
  gradcheck([](auto& in) { return mul(in[0], in[1]); }, {random_tensor({3, 4}, gen), random_tensor({3, 4}, gen)});
  gradcheck([](auto& in) { return div(in[0], in[1]); },
            {random_tensor({3, 4}, gen), random_tensor({4}, gen, 0.5f, 2.0f)});
  gradcheck([](auto& in) { return scale(in[0], -2.5f); }, {random_tensor({5}, gen)});
}

TEST_CASE("elementwise activations") {
  gradcheck([](auto& in) { return relu(in[0]); }, {away_from_zero({4, 5})});
  gradcheck([](auto& in) { return sigmoid(in[0]); }, {random_tensor({4, 5}, gen, -3, 3)});
  gradcheck([](auto& in) { return nn::tanh(in[0]); }, {random_tensor({4, 5}, gen, -2, 2)});
  gradcheck([](auto& in) { return nn::exp(in[0]); }, {random_tensor({7}, gen)});
  gradcheck([](auto& in) { return nn::log(in[0]); }, {random_tensor({7}, gen, 0.5f, 3.0f)});
  gradcheck([](auto& in) { return square(in[0]); }, {random_tensor({7}, gen)});
  gradcheck([](auto& in) { return nn::sqrt(in[0]); }, {random_tensor({7}, gen, 0.5f, 3.0f)});
  gradcheck([](auto& in) { return nn::abs(in[0]); }, {away_from_zero({7})});
  gradcheck([](auto& in) { return clip(in[0], -0.5f, 0.5f); },
            {Tensor::from_vector({6}, {-0.9f, -0.3f, 0.1f, 0.45f, 0.7f, -0.6f})});
}

TEST_CASE("Keras's activation set") {
  // Points kept away from each function's kinks (0 for relu-like ones, 6 for relu6, +-3 for the
  // hard ones), so the finite differences see a smooth function.
  const Tensor smooth = away_from_zero({4, 5});
  gradcheck([](auto& in) { return relu6(in[0]); }, {Tensor::from_vector({5}, {-1.0f, 0.5f, 3.0f, 5.5f, 7.0f})});
  gradcheck([](auto& in) { return leaky_relu(in[0], 0.3f); }, {smooth});
  gradcheck([](auto& in) { return elu(in[0], 1.5f); }, {smooth});
  gradcheck([](auto& in) { return selu(in[0]); }, {smooth});
  gradcheck([](auto& in) { return gelu(in[0]); }, {random_tensor({4, 5}, gen, -3, 3)});
  gradcheck([](auto& in) { return softplus(in[0]); }, {random_tensor({4, 5}, gen, -4, 4)});
  gradcheck([](auto& in) { return softsign(in[0]); }, {smooth});
  gradcheck([](auto& in) { return silu(in[0]); }, {random_tensor({4, 5}, gen, -4, 4)});
  gradcheck([](auto& in) { return mish(in[0]); }, {random_tensor({4, 5}, gen, -3, 3)});
  gradcheck([](auto& in) { return log_sigmoid(in[0]); }, {random_tensor({4, 5}, gen, -4, 4)});
  const Tensor hard = Tensor::from_vector({6}, {-5.0f, -2.0f, -0.5f, 0.7f, 2.5f, 4.0f});
  gradcheck([](auto& in) { return hard_sigmoid(in[0]); }, {hard});
  gradcheck([](auto& in) { return hard_silu(in[0]); }, {hard});
}

TEST_CASE("the activations' values match their definitions") {
  const std::vector<float> xs{-2.0f, -0.5f, 0.0f, 0.5f, 3.0f};
  const Variable x(Tensor::from_vector({5}, xs));
  auto at = [](const Variable& y, size_t i) { return y.value().to_vector()[i]; };
  for (size_t i = 0; i < xs.size(); ++i) {
    const double v = xs[i], s = 1.0 / (1.0 + std::exp(-v)), sp = std::log1p(std::exp(v));
    CHECK(at(gelu(x), i) == doctest::Approx(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)))).epsilon(1e-5));
    CHECK(at(selu(x), i) == doctest::Approx(1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * std::expm1(v))).epsilon(1e-5));
    CHECK(at(softplus(x), i) == doctest::Approx(sp).epsilon(1e-5));
    CHECK(at(silu(x), i) == doctest::Approx(v * s).epsilon(1e-5));
    CHECK(at(mish(x), i) == doctest::Approx(v * std::tanh(sp)).epsilon(1e-5));
    CHECK(at(hard_sigmoid(x), i) == doctest::Approx(std::min(std::max(v + 3.0, 0.0), 6.0) / 6.0));
    CHECK(at(leaky_relu(x, 0.2f), i) == doctest::Approx(v > 0 ? v : 0.2 * v));
    CHECK(at(log_sigmoid(x), i) == doctest::Approx(std::log(s)).epsilon(1e-5));
  }
}

TEST_CASE("permute and transpose") {
  gradcheck([](auto& in) { return permute(in[0], {2, 0, 1}); }, {random_tensor({2, 3, 4}, gen)});
  gradcheck([](auto& in) { return permute(in[0], {0, 2, 3, 1}); }, {random_tensor({2, 3, 2, 4}, gen)});
  gradcheck([](auto& in) { return transpose(in[0]); }, {random_tensor({3, 5}, gen)});
  const Tensor t = Tensor::from_vector({2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(transpose(Variable(t)).value().to_vector() == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK_THROWS_AS(permute(Variable(t), {0, 0}), std::invalid_argument);
}

TEST_CASE("softmax and log_softmax") {
  gradcheck([](auto& in) { return softmax(in[0]); }, {random_tensor({3, 6}, gen, -2, 2)});
  gradcheck([](auto& in) { return log_softmax(in[0]); }, {random_tensor({3, 6}, gen, -2, 2)});
  gradcheck([](auto& in) { return softmax(in[0]); }, {random_tensor({2, 2, 5}, gen, -2, 2)});
}

TEST_CASE("softmax cross-entropy: labels and one-hot, mean / sum / none") {
  const Tensor labels = Tensor::from_vector({4}, {0, 2, 1, 2});
  const Tensor onehot = one_hot(labels, 3);
  for (Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    gradcheck([&](auto& in) { return softmax_cross_entropy(in[0], labels, r); }, {random_tensor({4, 3}, gen, -3, 3)});
    gradcheck([&](auto& in) { return softmax_cross_entropy(in[0], onehot, r); }, {random_tensor({4, 3}, gen, -3, 3)});
  }
  Tensor soft = Tensor::from_vector({2, 3}, {0.2f, 0.5f, 0.3f, 0.0f, 0.1f, 0.9f});
  gradcheck([&](auto& in) { return softmax_cross_entropy(in[0], soft); }, {random_tensor({2, 3}, gen, -3, 3)});
}

TEST_CASE("conv2d: strides, paddings, bias") {
  struct Case { Shape x, w; int64_t sh, sw; Padding pad; bool bias; };
  const Case cases[] = {
      {{2, 3, 6, 5}, {4, 3, 3, 3}, 1, 1, Padding::valid(), true},
      {{2, 2, 7, 7}, {3, 2, 3, 3}, 2, 2, Padding::same(), true},
      {{1, 2, 6, 6}, {2, 2, 4, 4}, 1, 1, Padding::same(), false},  // even kernel: uneven 'same'
      {{2, 1, 5, 6}, {3, 1, 3, 2}, 2, 1, Padding::values(1, 2), true},
      {{1, 3, 5, 5}, {2, 3, 1, 1}, 1, 1, Padding::valid(), true},
  };
  for (const auto& c : cases) {
    CAPTURE(to_string(c.x));
    std::vector<Tensor> in{random_tensor(c.x, gen), random_tensor(c.w, gen)};
    if (c.bias) in.push_back(random_tensor({c.w[0]}, gen));
    gradcheck([&](auto& v) { return conv2d(v[0], v[1], c.bias ? v[2] : Variable(), c.sh, c.sw, c.pad); }, in);
  }
}

TEST_CASE("max_pool2d: kernel, stride, padding") {
  gradcheck([](auto& in) { return max_pool2d(in[0], 2, 2, 2, 2); }, {distinct({2, 2, 4, 6})});
  gradcheck([](auto& in) { return max_pool2d(in[0], 3, 3, 2, 2); }, {distinct({1, 2, 7, 7})});  // overlapping
  gradcheck([](auto& in) { return max_pool2d(in[0], 2, 2, 2, 2, Padding::same()); }, {distinct({1, 1, 5, 5})});
  gradcheck([](auto& in) { return max_pool2d(in[0], 3, 3, 1, 1, Padding::values(1, 1)); }, {distinct({1, 2, 4, 4})});
}

TEST_CASE("batch_norm: batch statistics and given statistics, any channel axis") {
  gradcheck([](auto& in) { return batch_norm(in[0], in[1], in[2], 1, 1e-3f); },
            {random_tensor({5, 3}, gen), random_tensor({3}, gen), random_tensor({3}, gen)});
  gradcheck([](auto& in) { return batch_norm(in[0], in[1], in[2], 1, 1e-3f); },
            {random_tensor({3, 2, 3, 4}, gen), random_tensor({2}, gen), random_tensor({2}, gen)});
  gradcheck([](auto& in) { return batch_norm(in[0], Variable(), in[1], -1, 1e-2f); },
            {random_tensor({2, 3, 4}, gen), random_tensor({4}, gen)});
  const Tensor mean = random_tensor({3}, gen), var = random_tensor({3}, gen, 0.5f, 2.0f);
  gradcheck([&](auto& in) { return batch_norm_inference(in[0], in[1], in[2], mean, var, 1, 1e-3f); },
            {random_tensor({2, 3, 2, 2}, gen), random_tensor({3}, gen), random_tensor({3}, gen)});
}

TEST_CASE("dropout with a fixed mask") {
  gradcheck(
      [](auto& in) {
        Generator g(99);  // same mask at every evaluation
        return dropout(in[0], 0.4f, true, g);
      },
      {random_tensor({6, 7}, gen)});
}

TEST_CASE("reshape, flatten, sum, mean") {
  gradcheck([](auto& in) { return reshape(in[0], {3, -1}); }, {random_tensor({2, 3, 2}, gen)});
  gradcheck([](auto& in) { return flatten(in[0]); }, {random_tensor({2, 3, 2, 2}, gen)});
  gradcheck([](auto& in) { return sum(in[0]); }, {random_tensor({3, 4}, gen)});
  gradcheck([](auto& in) { return mean(in[0]); }, {random_tensor({3, 4}, gen)});
  gradcheck([](auto& in) { return sum(in[0], 1); }, {random_tensor({3, 4, 2}, gen)});
  gradcheck([](auto& in) { return mean(in[0], -1, true); }, {random_tensor({3, 4}, gen)});
  gradcheck([](auto& in) { return sum(in[0], 0, false); }, {random_tensor({3, 4}, gen)});
}

TEST_CASE("a composed expression reuses a variable (gradients accumulate)") {
  gradcheck([](auto& in) { return mul(add(in[0], in[0]), sigmoid(in[0])); }, {random_tensor({5}, gen)});
}
