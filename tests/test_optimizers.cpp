#include <doctest/doctest.h>

#include <stdexcept>

#include <cmath>
#include <vector>

#include "nn/nn.hpp"
#include "temp_dir.hpp"

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

TEST_CASE("frozen parameters are skipped, even holding a gradient") {
  // Both parameters get a gradient; then one is frozen (as fine-tuning does after a backward
  // pass). Only the other may move: the frozen one is skipped for its flag, not for lacking a
  // gradient.
  Fixture frozen, live;
  for (Fixture* f : {&frozen, &live}) sum(mul(f->w, Variable(f->c))).backward();
  frozen.w.set_requires_grad(false);
  REQUIRE(frozen.w.has_grad());
  SGD sgd(0.1f);
  sgd.set_parameters({frozen.w, live.w});
  sgd.step();
  CHECK(frozen.w.value().to_vector() == std::vector<float>{1.0f, -2.0f});
  CHECK(live.w.value().at({0}) == doctest::Approx(1.0 - 0.05));
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

TEST_CASE("learning-rate schedules follow Keras's and PyTorch's definitions") {
  const ExponentialDecay exp_decay(0.1, 10, 0.5);
  CHECK(exp_decay(0) == doctest::Approx(0.1));
  CHECK(exp_decay(5) == doctest::Approx(0.1 * std::pow(0.5, 0.5)));
  CHECK(exp_decay(20) == doctest::Approx(0.025));
  CHECK(ExponentialDecay(ExponentialDecayOptions(0.1, 10, 0.5).staircase(true))(19) == doctest::Approx(0.05));

  const CosineDecay cos_decay(CosineDecayOptions(0.1, 100).alpha(0.1));
  CHECK(cos_decay(0) == doctest::Approx(0.1));
  CHECK(cos_decay(50) == doctest::Approx(0.1 * (0.1 + 0.9 * 0.5)));
  CHECK(cos_decay(100) == doctest::Approx(0.01));
  CHECK(cos_decay(1000) == doctest::Approx(0.01));
  const CosineDecay warm(CosineDecayOptions(0.0, 100).warmup_steps(10).warmup_target(0.2));
  CHECK(warm(5) == doctest::Approx(0.1));
  CHECK(warm(10) == doctest::Approx(0.2));
  CHECK(warm(60) == doctest::Approx(0.1));
  CHECK((*create_schedule("CosineDecay", warm.config()))(5) == doctest::Approx(0.1));  // the target is kept
  CHECK((*create_schedule("CosineDecay", cos_decay.config()))(50) == doctest::Approx(cos_decay(50)));

  // PyTorch's OneCycleLR(max_lr=0.1, total_steps=100, pct_start=0.3), cosine annealing: these
  // are its learning rates at steps 0, 10, 29, 30, 60 and 99.
  const OneCycle one(OneCycleOptions(0.1, 100).pct_start(0.3));
  CHECK(one(0) == doctest::Approx(0.004));
  CHECK(one(10) == doctest::Approx(0.02951639).epsilon(1e-6));
  CHECK(one(29) == doctest::Approx(0.1));
  CHECK(one(30) == doctest::Approx(0.09994965).epsilon(1e-6));
  CHECK(one(60) == doctest::Approx(0.05892801).epsilon(1e-6));
  CHECK(one(99) == doctest::Approx(4e-7).epsilon(1e-6));

  CHECK_THROWS_AS(ExponentialDecay(0.1, 0, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(OneCycle(OneCycleOptions(0.1, 100).pct_start(1.5)), std::invalid_argument);
  CHECK_THROWS_WITH_AS(create_schedule("StepDecay", {}), doctest::Contains("unknown learning-rate schedule"),
                       std::invalid_argument);
  CHECK_THROWS_AS(create_schedule("CosineDecay", {{"initial_learning_rate", 0.1}}), std::invalid_argument);
  const auto rebuilt = create_schedule("OneCycle", one.config());
  CHECK((*rebuilt)(60) == doctest::Approx(one(60)));
}

TEST_CASE("an optimizer follows its schedule, step by step, and a model file keeps it") {
  Variable w(Tensor::from_vector({1}, {1.0f}), true);
  SGD sgd(1.0);
  sgd.set_parameters({w});
  sgd.set_schedule(ExponentialDecay(0.1, 1, 0.5));
  CHECK(sgd.learning_rate() == doctest::Approx(0.1f));
  for (int step = 0; step < 3; ++step) {
    w.zero_grad();
    w.add_grad(Tensor::from_vector({1}, {1.0f}));
    const float before = w.value().item();
    sgd.step();  // w -= lr(step) * 1
    CHECK(before - w.value().item() == doctest::Approx(0.1 * std::pow(0.5, step)));
  }
  CHECK_THROWS_AS(sgd.set_learning_rate(0.5f), std::logic_error);  // as Keras: a schedule owns it
  sgd.clear_schedule();
  sgd.set_learning_rate(0.5f);
  CHECK(sgd.learning_rate() == 0.5f);

  test::TempDir dir;
  Sequential m;
  m.add(Input({3}));
  m.add<Dense>(2, "softmax");
  auto adam = std::make_shared<Adam>();
  adam->set_schedule(CosineDecay(0.01, 50));
  m.compile(adam, "sparse_categorical_crossentropy", {});
  const Tensor x = Tensor::ones({4, 3}), y = Tensor::from_vector({4}, {0, 1, 0, 1});
  for (int i = 0; i < 7; ++i) m.train_on_batch(x, y);
  m.save(dir / "m.nn");
  Sequential loaded = load_model(dir / "m.nn");
  REQUIRE(loaded.optimizer().schedule());
  CHECK(loaded.optimizer().schedule()->type() == "CosineDecay");
  CHECK(loaded.optimizer().learning_rate() == doctest::Approx(CosineDecay(0.01, 50)(7)));
  loaded.train_on_batch(x, y);
  m.train_on_batch(x, y);
  CHECK(loaded.optimizer().learning_rate() == m.optimizer().learning_rate());
  CHECK(loaded.predict(x).to_vector() == m.predict(x).to_vector());
}
