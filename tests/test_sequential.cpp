#include <doctest/doctest.h>

#include <stdexcept>

#include "nn/model/sequential.hpp"
#include "nn/nn.hpp"

using namespace nn;

namespace {
// Two Gaussian blobs in 2-d, labels 0/1.
void blobs(int64_t n, Tensor& x, Tensor& y, uint64_t seed = 3) {
  Generator g(seed);
  std::vector<float> xs(static_cast<size_t>(2 * n)), ys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 2);
    xs[static_cast<size_t>(2 * i)] = (c ? 1.5f : -1.5f) + 0.5f * g.normal();
    xs[static_cast<size_t>(2 * i + 1)] = (c ? 1.0f : -1.0f) + 0.5f * g.normal();
    ys[static_cast<size_t>(i)] = static_cast<float>(c);
  }
  x = Tensor::from_vector({n, 2}, xs);
  y = Tensor::from_vector({n}, ys);
}

Sequential small_model() {
  Sequential m;
  m.add<Dense>(8, "tanh");
  m.add<Dense>(2, "softmax");
  m.build({2});
  return m;
}
}  // namespace

TEST_CASE("summary prints layers, output shapes and parameter counts as Keras does") {
  Sequential m("demo");
  m.add<Conv2D>(4, 3, "same", "relu", "conv");
  m.add<MaxPool2D>(MaxPool2DOptions(2).name("pool"));
  m.add<Flatten>("flat");
  m.add<Dense>(10, "softmax", "out");
  m.build({1, 8, 8});
  const std::string s = m.summary();
  CHECK(s.find("Model: \"demo\"") != std::string::npos);
  CHECK(s.find("conv (Conv2D)") != std::string::npos);
  CHECK(s.find("(None, 4, 8, 8)") != std::string::npos);
  CHECK(s.find("(None, 64)") != std::string::npos);
  CHECK(s.find("Total params: 690") != std::string::npos);  // 4*9+4 + 64*10+10
  CHECK(m.count_params() == 690);
  CHECK(m.output_shape() == Shape{10});
}

TEST_CASE("fit learns two blobs - evaluate, predict and the history agree") {
  manual_seed(5);
  Tensor x, y;
  blobs(400, x, y);
  Sequential m = small_model();
  m.compile(std::make_shared<Adam>(0.05f), "sparse_categorical_crossentropy", {"accuracy"});
  FitOptions o;
  o.epochs(5);
  o.batch_size(20);
  o.validation_split(0.25);
  o.verbose(0);
  o.seed(1);
  History h = m.fit(x, y, o);
  REQUIRE(h.history.count("val_accuracy"));
  CHECK(h.epochs.size() == 5);
  CHECK(h.history["loss"].back() < h.history["loss"].front());
  CHECK(h.history["val_accuracy"].back() >= 0.97);
  const Logs e = m.evaluate(x, y, 64);
  CHECK(e.at("accuracy") >= 0.97);
  Tensor p = m.predict(x, 64);
  CHECK(p.shape() == Shape{400, 2});
  const auto pv = p.to_vector();
  CHECK(pv[0] + pv[1] == doctest::Approx(1.0f));  // probabilities
  CHECK(static_cast<double>(count_correct(p, y)) / 400.0 == doctest::Approx(e.at("accuracy")));
}

TEST_CASE("train_on_batch takes one step and reports that batch") {
  Tensor x, y;
  blobs(32, x, y);
  Sequential m = small_model();
  m.compile(std::make_shared<SGD>(0.1f), "sparse_categorical_crossentropy", {"accuracy"});
  const auto before = m.get_weights();
  const Logs l1 = m.train_on_batch(x, y);
  CHECK(m.optimizer().iterations() == 1);
  CHECK(before[0].to_vector() != m.get_weights()[0].to_vector());
  const Logs t = m.test_on_batch(x, y);
  CHECK(t.at("loss") < l1.at("loss") + 1e-6);
  CHECK(l1.count("accuracy"));
}

TEST_CASE("softmax output with a probability loss trains on logits (same loss value)") {
  Tensor x, y;
  blobs(16, x, y);
  Sequential m = small_model();
  m.compile(std::make_shared<SGD>(0.0f), "sparse_categorical_crossentropy");
  const double fused = m.test_on_batch(x, y).at("loss");
  NoGradGuard ng;
  const double direct = SparseCategoricalCrossentropy()(m(Variable(x)), y).value().item();
  CHECK(fused == doctest::Approx(direct).epsilon(1e-4));
}

TEST_CASE("misuse is reported clearly") {
  Sequential m = small_model();
  Tensor x, y;
  blobs(8, x, y);
  CHECK_THROWS_AS(m.fit(x, y), std::logic_error);  // not compiled
  m.compile(std::make_shared<SGD>(), "sparse_categorical_crossentropy");
  CHECK_THROWS_WITH_AS(m.predict(Tensor::zeros({4, 3})), doctest::Contains("(None, 2)"), std::invalid_argument);
  CHECK_THROWS_AS(m.fit(x, Tensor::zeros({7})), std::invalid_argument);
  CHECK_THROWS_AS(m.add(std::make_shared<Dense>(3, "linear", m.layers()[0]->name())), std::invalid_argument);
  Sequential m2 = small_model();
  CHECK_THROWS_AS(m2.compile(std::make_shared<SGD>(), "sparse_categorical_crossentropy", {"f1"}), std::invalid_argument);
}

TEST_CASE("fit on a dataset with steps_per_epoch and a repeated dataset") {
  Tensor x, y;
  blobs(64, x, y);
  Sequential m = small_model();
  m.compile(std::make_shared<SGD>(0.1f), "sparse_categorical_crossentropy", {"accuracy"});
  auto ds = data::Dataset::from_tensor_slices(x, y).batch(16).repeat();
  FitOptions o;
  o.epochs(2);
  o.steps_per_epoch(10);
  o.verbose(0);
  m.fit(ds, o);
  CHECK(m.optimizer().iterations() == 20);
  FitOptions bad;
  bad.verbose(0);
  CHECK_THROWS_AS(m.fit(ds, bad), std::invalid_argument);  // infinite without steps
}
