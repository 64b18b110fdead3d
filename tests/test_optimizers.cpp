#include <doctest/doctest.h>

#include <stdexcept>

#include <cmath>

#include "nn/nn.hpp"

using namespace nn;

namespace {
// One parameter w with loss sum(w * c): the gradient is c at every step.
struct Fixture {
  Variable w{Tensor::from_vector({2}, {1.0f, -2.0f}), true};
  Tensor c = Tensor::from_vector({2}, {0.5f, -1.0f});
  void step(Optimizer& opt) {
    opt.zero_grad();
    sum(mul(w, Variable(c))).backward();
    opt.step();
  }
};
}  // namespace

TEST_CASE("SGD, plain: w -= lr g") {
  Fixture f;
  SGD sgd(0.1f);
  sgd.set_parameters({f.w});
  f.step(sgd);
  CHECK(f.w.value().at({0}) == doctest::Approx(1.0 - 0.05));
  CHECK(f.w.value().at({1}) == doctest::Approx(-2.0 + 0.1));
  CHECK(sgd.iterations() == 1);
}

TEST_CASE("SGD with momentum and Nesterov, as Keras defines them") {
  for (bool nesterov : {false, true}) {
    Fixture f;
    SGD sgd(0.1f, 0.9f, nesterov);
    sgd.set_parameters({f.w});
    double w = 1.0, v = 0.0;
    const double g = 0.5;
    for (int t = 0; t < 3; ++t) {
      f.step(sgd);
      v = 0.9 * v - 0.1 * g;
      w += nesterov ? 0.9 * v - 0.1 * g : v;
      CHECK(f.w.value().at({0}) == doctest::Approx(w).epsilon(1e-6));
    }
  }
}

TEST_CASE("SGD weight decay adds wd * w to the gradient") {
  Fixture f;
  SGD sgd(0.1f, 0.0f, false, 0.01f);
  sgd.set_parameters({f.w});
  f.step(sgd);
  CHECK(f.w.value().at({0}) == doctest::Approx(1.0 - 0.1 * (0.5 + 0.01 * 1.0)));
}

TEST_CASE("Adam's first steps by hand") {
  Fixture f;
  Adam adam(0.01f);
  adam.set_parameters({f.w});
  double w = -2.0, m = 0, v = 0;
  const double g = -1.0;
  for (int t = 1; t <= 3; ++t) {
    f.step(adam);
    m += (g - m) * 0.1;
    v += (g * g - v) * 0.001;
    const double lr_t = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    w -= lr_t * m / (std::sqrt(v) + 1e-7);
    CHECK(f.w.value().at({1}) == doctest::Approx(w).epsilon(1e-6));
  }
  // At t = 1 the step is lr * sign(g) (up to epsilon).
  CHECK(w == doctest::Approx(-2.0 + 3 * 0.01).epsilon(1e-3));
}

TEST_CASE("the learning rate can change between steps") {
  Fixture f;
  SGD sgd(0.1f);
  sgd.set_parameters({f.w});
  f.step(sgd);
  sgd.set_learning_rate(0.0f);
  const float before = f.w.value().at({0});
  f.step(sgd);
  CHECK(f.w.value().at({0}) == before);
  CHECK_THROWS_AS(sgd.set_learning_rate(-1.0f), std::invalid_argument);
}

TEST_CASE("an optimizer state saved and restored continues identically") {
  for (int which = 0; which < 2; ++which) {
    auto make = [&]() -> OptimizerPtr {
      if (which == 0) return std::make_shared<Adam>(0.01f);
      return std::make_shared<SGD>(0.05f, 0.9f, true);
    };
    Fixture a;
    OptimizerPtr opt = make();
    opt->set_parameters({a.w});
    for (int i = 0; i < 3; ++i) a.step(*opt);
    const OptimizerState saved = opt->state();
    const Tensor saved_w = a.w.value().clone();
    for (int i = 0; i < 4; ++i) a.step(*opt);

    Fixture b;
    b.w.value().copy_from(saved_w);
    OptimizerPtr restored = create_optimizer(opt->type(), opt->config());
    restored->set_parameters({b.w});
    restored->load_state(saved);
    CHECK(restored->iterations() == 3);
    for (int i = 0; i < 4; ++i) b.step(*restored);
    CHECK(b.w.value().to_vector() == a.w.value().to_vector());
  }
}

TEST_CASE("a state that does not fit the parameters is refused") {
  Fixture f;
  Adam adam;
  adam.set_parameters({f.w});
  OptimizerState s = adam.state();
  s.slots["m"][0] = Tensor::zeros({3});
  CHECK_THROWS_AS(adam.load_state(s), std::invalid_argument);
  s.slots.erase("m");
  CHECK_THROWS_AS(adam.load_state(s), std::invalid_argument);
}

TEST_CASE("frozen parameters are skipped") {
  Fixture f;
  f.w.set_requires_grad(false);
  SGD sgd(0.1f);
  sgd.set_parameters({f.w});
  sgd.step();
  CHECK(f.w.value().at({0}) == 1.0f);
}

TEST_CASE("AdamW, RMSprop and Adagrad by hand") {
  SUBCASE("AdamW shrinks the weights, then takes Adam's step") {
    Fixture f;
    AdamW opt(AdamWOptions(0.01).weight_decay(0.1));
    opt.set_parameters({f.w});
    double w = 1.0, m = 0, v = 0;
    for (int t = 1; t <= 3; ++t) {
      f.step(opt);
      w *= 1.0 - 0.01 * 0.1;
      m += (0.5 - m) * 0.1;
      v += (0.25 - v) * 0.001;
      w -= 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t)) * m / (std::sqrt(v) + 1e-7);
      CHECK(f.w.value().at({0}) == doctest::Approx(w).epsilon(1e-6));
    }
  }
  SUBCASE("RMSprop, plain and centered with momentum") {
    for (bool centered : {false, true}) {
      Fixture f;
      RMSprop opt(RMSpropOptions(0.01).momentum(0.5).centered(centered));
      opt.set_parameters({f.w});
      double w = 1.0, v = 0, a = 0, mom = 0;
      const double g = 0.5;
      for (int t = 0; t < 3; ++t) {
        f.step(opt);
        v = 0.9 * v + 0.1 * g * g;
        double denominator = v;
        if (centered) {
          a = 0.9 * a + 0.1 * g;
          denominator -= a * a;
        }
        mom = 0.5 * mom + 0.01 * g / std::sqrt(denominator + 1e-7);
        w -= mom;
        CHECK(f.w.value().at({0}) == doctest::Approx(w).epsilon(1e-5));
      }
    }
  }
  SUBCASE("Adagrad starts its accumulator at 0.1") {
    Fixture f;
    Adagrad opt(AdagradOptions(0.1));
    opt.set_parameters({f.w});
    double w = -2.0, acc = 0.1;
    for (int t = 0; t < 3; ++t) {
      f.step(opt);
      acc += 1.0;
      w -= 0.1 * -1.0 / std::sqrt(acc + 1e-7);
      CHECK(f.w.value().at({1}) == doctest::Approx(w).epsilon(1e-6));
    }
    CHECK(opt.state().slots.at("accumulator")[0].at({0}) == doctest::Approx(0.1 + 3 * 0.25));
  }
}

TEST_CASE("Adam's epsilon: Keras's placement by default, PyTorch's on request") {
  // Gradients near epsilon make the two conventions differ; PyTorch's formula by hand.
  Variable w(Tensor::from_vector({1}, {0.0f}), true);
  const Tensor c = Tensor::from_vector({1}, {1e-7f});
  Adam opt(AdamOptions(0.1).epsilon(1e-7).epsilon_convention(AdamEpsilon::PyTorch));
  opt.set_parameters({w});
  double m = 0, v = 0, expected = 0;
  for (int t = 1; t <= 3; ++t) {
    opt.zero_grad();
    sum(mul(w, Variable(c))).backward();
    opt.step();
    m = 0.9 * m + 0.1 * 1e-7;
    v = 0.999 * v + 0.001 * 1e-14;
    const double m_hat = m / (1 - std::pow(0.9, t)), v_hat = v / (1 - std::pow(0.999, t));
    expected -= 0.1 * m_hat / (std::sqrt(v_hat) + 1e-7);
    CHECK(w.value().item() == doctest::Approx(expected).epsilon(1e-4));
  }
  Variable w2(Tensor::from_vector({1}, {0.0f}), true);
  Adam keras(AdamOptions(0.1).epsilon(1e-7));
  keras.set_parameters({w2});
  keras.zero_grad();
  sum(mul(w2, Variable(c))).backward();
  keras.step();
  // First step: PyTorch's is lr * m_hat / (sqrt(v_hat) + eps) = 0.1 * g / (g + eps) = 0.05 (checked
  // above); Keras's is lr sqrt(1 - b2) / (1 - b1) * m / (sqrt(v) + eps), about 0.003.
  const double keras_step = 0.1 * std::sqrt(0.001) / 0.1 * 1e-8 / (std::sqrt(1e-17) + 1e-7);
  CHECK(w2.value().item() == doctest::Approx(-keras_step).epsilon(1e-4));
}
