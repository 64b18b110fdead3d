#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <cmath>

#include "nn/nn.hpp"

using namespace nn;

TEST_CASE("sparse softmax cross-entropy matches the hand computation") {
  // logits (2, 3); loss_r = logsumexp(row) - row[label]
  Tensor logits = Tensor::from_vector({2, 3}, {1, 2, 3, 0, 0, 0});
  Tensor labels = Tensor::from_vector({2}, {2, 0});
  const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  const double l1 = std::log(3.0);
  CHECK(softmax_cross_entropy(Variable(logits), labels).value().item() == doctest::Approx((l0 + l1) / 2));
  CHECK(softmax_cross_entropy(Variable(logits), labels, Reduction::Sum).value().item() == doctest::Approx(l0 + l1));
  auto none = softmax_cross_entropy(Variable(logits), labels, Reduction::None).value().to_vector();
  CHECK(none[0] == doctest::Approx(l0));
  CHECK(none[1] == doctest::Approx(l1));
  // One-hot targets give the same values.
  CHECK(softmax_cross_entropy(Variable(logits), one_hot(labels, 3)).value().item() == doctest::Approx((l0 + l1) / 2));
}

TEST_CASE("softmax cross-entropy is stable for logits of +-1e4") {
  Variable logits(Tensor::from_vector({2, 3}, {1e4f, -1e4f, 0, -1e4f, 1e4f, 1e4f}), true);
  Tensor labels = Tensor::from_vector({2}, {1, 2});
  Variable loss = softmax_cross_entropy(logits, labels, Reduction::Sum);
  // Row 0: 1e4 - (-1e4) = 2e4. Row 1: log(2).
  CHECK(loss.value().item() == doctest::Approx(2e4 + std::log(2.0)));
  loss.backward();
  for (float g : logits.grad().to_vector()) CHECK(std::isfinite(g));
  CHECK(logits.grad().at({0, 0}) == doctest::Approx(1.0));
  CHECK(logits.grad().at({0, 1}) == doctest::Approx(-1.0));
  CHECK(logits.grad().at({1, 2}) == doctest::Approx(-0.5));
}

TEST_CASE("labels outside the classes are refused") {
  Tensor logits = Tensor::zeros({2, 3});
  CHECK_THROWS_AS(softmax_cross_entropy(Variable(logits), Tensor::from_vector({2}, {0, 3})), std::out_of_range);
  CHECK_THROWS_AS(softmax_cross_entropy(Variable(logits), Tensor::from_vector({2}, {0, 1.5f})), std::out_of_range);
  CHECK_THROWS_AS(softmax_cross_entropy(Variable(logits), Tensor::zeros({3})), std::invalid_argument);
}

TEST_CASE("losses from probabilities follow Keras (normalise, clip, -sum y log p)") {
  Tensor probs = Tensor::from_vector({2, 3}, {0.2f, 0.3f, 0.5f, 0.0f, 1.0f, 0.0f});
  Tensor labels = Tensor::from_vector({2}, {2, 0});
  SparseCategoricalCrossentropy scce;
  const double expected = (-std::log(0.5) - std::log(1e-7)) / 2;
  CHECK(scce(Variable(probs), labels).value().item() == doctest::Approx(expected).epsilon(1e-4));
  CategoricalCrossentropy cce;
  CHECK(cce(Variable(probs), one_hot(labels, 3)).value().item() == doctest::Approx(expected).epsilon(1e-4));
  // from_logits agrees with softmax followed by the probability form.
  Tensor logits = Tensor::from_vector({2, 3}, {0.5f, -1.0f, 2.0f, 1.0f, 0.0f, -0.5f});
  const float a = SparseCategoricalCrossentropy(true)(Variable(logits), labels).value().item();
  const float b = scce(softmax(Variable(logits)), labels).value().item();
  CHECK(a == doctest::Approx(b).epsilon(1e-5));
  CHECK(scce.with_logits()->from_logits());
}

TEST_CASE("mean squared error") {
  Tensor pred = Tensor::from_vector({2, 2}, {1, 2, 3, 4});
  Tensor truth = Tensor::from_vector({2, 2}, {0, 2, 3, 2});
  // rows: (1 + 0)/2 = 0.5, (0 + 4)/2 = 2 -> mean 1.25
  CHECK(MeanSquaredError()(Variable(pred), truth).value().item() == doctest::Approx(1.25));
  CHECK(make_loss("mse")->name() == "mean_squared_error");
  CHECK_THROWS_AS(make_loss("hinge"), std::invalid_argument);
}

TEST_CASE("accuracy, sparse and one-hot") {
  Tensor scores = Tensor::from_vector({3, 2}, {0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f});
  Tensor labels = Tensor::from_vector({3}, {0, 1, 1});
  Accuracy acc;
  acc.update(scores, labels);
  CHECK(acc.result() == doctest::Approx(2.0 / 3));
  acc.update(scores, one_hot(labels, 2));
  CHECK(acc.result() == doctest::Approx(4.0 / 6));
  acc.reset();
  CHECK(acc.result() == 0.0);
  CHECK_THROWS_AS(acc.update(scores, Tensor::zeros({4})), std::invalid_argument);
}

TEST_CASE("top-k accuracy counts a true class among the k highest scores, ties to the lower class") {
  // Rows of 4 scores; with k = 2:
  //   row 0: label 2, scores (0.1, 0.5, 0.4, 0.0)  -> 2nd highest: in
  //   row 1: label 3, scores (0.3, 0.3, 0.2, 0.2)  -> ties: 0 and 1 rank above it (and 2 before it): out
  //   row 2: label 1, scores (0.5, 0.5, 0.0, 0.0)  -> tie with class 0, which ranks first: 2nd, in
  //   row 3: label 3, scores (0.1, 0.2, 0.3, 0.4)  -> highest: in (and the only row right for k = 1)
  const Tensor scores = Tensor::from_vector({4, 4}, {0.1f, 0.5f, 0.4f, 0.0f, 0.3f, 0.3f, 0.2f, 0.2f,  //
                                                     0.5f, 0.5f, 0.0f, 0.0f, 0.1f, 0.2f, 0.3f, 0.4f});
  const Tensor labels = Tensor::from_vector({4}, std::vector<int64_t>{2, 3, 1, 3});
  TopKAccuracy top2(2);
  top2.update(scores, labels);
  CHECK(top2.result() == 0.75);
  top2.update(scores, one_hot(labels, 4));  // one-hot targets: the same rows
  CHECK(top2.result() == 0.75);
  TopKAccuracy top4(4), top1(1);
  top4.update(scores, labels);
  top1.update(scores, labels);
  CHECK(top4.result() == 1.0);
  CHECK(top1.result() == 0.25);
  Accuracy acc;
  acc.update(scores, labels);
  CHECK(acc.result() == top1.result());  // k = 1 is the argmax, first on ties
  top2.reset();
  CHECK(top2.result() == 0.0);
}

TEST_CASE("label smoothing: targets y (1 - s) + s / C, as Keras and PyTorch define it") {
  // logits (2, 3), labels (2, 0), s = 0.3: target rows (0.1, 0.1, 0.8) and (0.8, 0.1, 0.1).
  const Tensor logits = Tensor::from_vector({2, 3}, {1, 2, 3, 0.5f, -1, 2});
  const Tensor labels = Tensor::from_vector({2}, {2, 0});
  const double s = 0.3;
  double expected = 0;
  for (int r = 0; r < 2; ++r) {
    double lse = 0;
    for (int c = 0; c < 3; ++c) lse += std::exp(logits.at({r, c}));
    lse = std::log(lse);
    for (int c = 0; c < 3; ++c) {
      const double t = (c == static_cast<int>(labels.at({r})) ? 1.0 - s : 0.0) + s / 3;
      expected -= t * (logits.at({r, c}) - lse) / 2;
    }
  }
  const SparseCategoricalCrossentropy sparse(CrossentropyOptions().from_logits(true).label_smoothing(0.3f));
  CHECK(sparse(Variable(logits), labels).value().item() == doctest::Approx(expected));
  const CategoricalCrossentropy dense(CrossentropyOptions().from_logits(true).label_smoothing(0.3f));
  CHECK(dense(Variable(logits), one_hot(labels, 3)).value().item() == doctest::Approx(expected));
  // From probabilities, the same value; and a model ending in softmax trains on the logits with it.
  const SparseCategoricalCrossentropy probs(CrossentropyOptions().label_smoothing(0.3f));
  CHECK(probs(Variable(softmax(logits)), labels).value().item() == doctest::Approx(expected).epsilon(1e-5));
  REQUIRE(probs.with_logits());
  CHECK(probs.with_logits()->label_smoothing() == doctest::Approx(0.3f));
  // The gradient: (softmax - targets) / N, the softmax computed here in double:
  // softmax(z)_c = 1 / sum_j exp(z_j - z_c).
  Variable z(logits, true);
  sparse(z, labels).backward();
  auto p = [&](int64_t r, int64_t c) {
    double total = 0;
    for (int64_t j = 0; j < 3; ++j) total += std::exp(static_cast<double>(logits.at({r, j})) - logits.at({r, c}));
    return 1.0 / total;
  };
  CHECK(z.grad().at({0, 2}) == doctest::Approx((p(0, 2) - (0.7 + 0.1)) / 2));
  CHECK(z.grad().at({1, 1}) == doctest::Approx((p(1, 1) - 0.1) / 2));
  // Out of range, or on a loss without it.
  CHECK_THROWS_AS(SparseCategoricalCrossentropy(CrossentropyOptions().from_logits(true).label_smoothing(1.0f)), std::invalid_argument);
  CHECK_THROWS_AS(CategoricalCrossentropy(CrossentropyOptions().from_logits(true).label_smoothing(-0.1f)), std::invalid_argument);
  CHECK_THROWS_AS(make_loss("mse", false, 0.1f), std::invalid_argument);
}

TEST_CASE("metrics' totals add up across replicas: the merged metric is the metric of all the data") {
  // Two halves of one batch, each on its own metric, merged by adding their totals.
  const Tensor pred = Tensor::from_vector({4, 3}, std::vector<float>{0.9f, 0.05f, 0.05f, 0.1f, 0.8f, 0.1f,
                                                                    0.3f, 0.3f, 0.4f, 0.6f, 0.3f, 0.1f});
  const Tensor labels = Tensor::from_vector({4}, std::vector<float>{0, 1, 0, 0});
  for (const char* name : {"accuracy", "sparse_categorical_accuracy", "mse"}) {
    CAPTURE(name);
    const bool regression = std::string(name) == "mse";
    const Tensor truth = regression ? Tensor::zeros({4, 3}) : labels;
    MetricPtr whole = make_metric(name), a = make_metric(name), b = make_metric(name);
    whole->update(pred, truth);
    a->update(pred.slice(0, 1), truth.slice(0, 1));
    b->update(pred.slice(1, 4), truth.slice(1, 4));
    std::vector<double> sum = a->totals();
    const std::vector<double> other = b->totals();
    REQUIRE(sum.size() == other.size());
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += other[i];
    a->set_totals(sum);
    CHECK(a->result() == doctest::Approx(whole->result()).epsilon(1e-6));
    CHECK(a->result() != doctest::Approx(b->result()));  // the halves alone differ from the whole
    CHECK_THROWS_AS(a->set_totals({1.0}), std::invalid_argument);
  }
}

TEST_CASE("confusion matrix and classification report: counts, precision, recall and F1 as scikit-learn gives them") {
  // Truth 0 0 1 1 2 2, predicted 0 1 1 1 0 1 (argmax of the scores).
  const Tensor scores = Tensor::from_vector({6, 3}, std::vector<float>{0.9f, 0.1f, 0.0f, 0.2f, 0.7f, 0.1f, 0.1f, 0.8f,
                                                                       0.1f, 0.0f, 1.0f, 0.0f, 0.6f, 0.3f, 0.1f, 0.3f,
                                                                       0.4f, 0.3f});
  const Tensor labels = Tensor::from_vector({6}, std::vector<float>{0, 0, 1, 1, 2, 2});
  const ConfusionMatrix cm = confusion_matrix(scores, labels);
  CHECK(cm.total() == 6);
  CHECK(cm.count(0, 0) == 1);
  CHECK(cm.count(0, 1) == 1);
  CHECK(cm.count(1, 1) == 2);
  CHECK(cm.count(2, 0) == 1);
  CHECK(cm.count(2, 1) == 1);
  CHECK(cm.accuracy() == doctest::Approx(0.5));
  // sklearn.metrics.classification_report(y_true, y_pred): class 0 p 0.5 r 0.5; class 1 p 0.5 r 1.0
  // f1 0.6667; class 2 p 0 r 0 f1 0 (no prediction of 2: 0, as scikit-learn's zero_division).
  const auto r = cm.per_class();
  CHECK(r[0].precision == doctest::Approx(0.5));
  CHECK(r[0].recall == doctest::Approx(0.5));
  CHECK(r[1].precision == doctest::Approx(0.5));
  CHECK(r[1].recall == doctest::Approx(1.0));
  CHECK(r[1].f1 == doctest::Approx(2.0 / 3.0));
  CHECK(r[2].f1 == 0.0);
  CHECK(r[2].support == 2);
  const std::string text = cm.report();
  CHECK(text.find("    accuracy                        0.5000         6") != std::string::npos);
  CHECK(text.find("   macro avg    0.3333    0.5000    0.3889         6") != std::string::npos);
  // Weighted by support (2 each here): the same as the macro average; both count every row.
  CHECK(cm.macro_average().f1 == doctest::Approx(0.3889).epsilon(1e-3));
  CHECK(cm.weighted_average().recall == doctest::Approx(0.5));
  CHECK(cm.weighted_average().support == 6);
  CHECK(cm.table().find("       2    1   1   0") != std::string::npos);
  CHECK_THROWS_WITH_AS(confusion_matrix(scores, Tensor::from_vector({6}, std::vector<float>{0, 0, 1, 1, 2, 3})),
                       doctest::Contains("label 3 of row 5 is not a class in [0, 3)"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(confusion_matrix(scores, labels.slice(0, 5)), doctest::Contains("scores (N, C) and labels (N)"),
                       std::invalid_argument);
}
