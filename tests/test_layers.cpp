#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include <functional>
#include <string>

#include "gradcheck.hpp"

using namespace nn;
using nn::test::random_tensor;

namespace {
Generator gen(77);

// Central-difference check of a layer's gradients with respect to its input and every
// parameter (random probes for big tensors). `reset` runs before every forward pass (to fix a
// dropout mask). Memory is poisoned while the analytic gradients are computed.
void check_layer(Layer& layer, Tensor x, bool training = false, const std::function<void()>& reset = [] {}) {
  layer.build(Shape(x.shape().begin() + 1, x.shape().end()));
  Generator rgen(3);
  Variable xin(x, true);
  reset();
  Tensor y0 = layer(Variable(x), training).value();
  std::vector<float> r(static_cast<size_t>(y0.numel()));
  for (auto& v : r) v = rgen.uniform(-1, 1);
  auto loss_of = [&] {
    NoGradGuard ng;
    reset();
    return test::weighted_sum(layer(Variable(x), training).value(), r);
  };
  set_poison_memory(true);
  for (auto& p : layer.parameters()) p.zero_grad();
  reset();
  sum(mul(layer(xin, training), Variable(Tensor::from_vector(y0.shape(), r)))).backward();
  set_poison_memory(false);

  std::vector<std::pair<std::string, Variable>> targets{{"input", xin}};
  for (auto& [name, p] : layer.named_parameters())
    if (p.requires_grad()) targets.emplace_back(name, p);  // not the moving statistics
  test::GradCheckOptions o;
  o.atol = 3e-3;
  o.max_probes = 48;
  for (auto& [name, v] : targets) {
    REQUIRE_MESSAGE(v.has_grad(), name << " received no gradient");
    CHECK(test::compare_with_differences(v.value(), v.grad().to_vector(), loss_of, o, rgen, name) == 0);
  }
}

Tensor distinct(const Shape& s) {
  std::vector<float> v(static_cast<size_t>(numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.05f * static_cast<float>(i);
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[gen.below(i)]);
  return Tensor::from_vector(s, v);
}

Tensor away_from_zero(const Shape& s) {
  auto v = random_tensor(s, gen).to_vector();
  for (auto& x : v) x = x >= 0 ? x + 0.1f : x - 0.1f;
  return Tensor::from_vector(s, v);
}
}  // namespace

TEST_CASE("gradient check: Dense") {
  Dense d(5, "tanh");
  check_layer(d, random_tensor({4, 6}, gen));
  Dense no_bias(DenseOptions(3).activation("sigmoid").use_bias(false).kernel_initializer("he_normal"));
  check_layer(no_bias, random_tensor({2, 4}, gen));
  Dense soft(4, "softmax");
  check_layer(soft, random_tensor({3, 5}, gen));
}

TEST_CASE("gradient check: Conv2D") {
  Conv2D c(4, 3, "same", "tanh");
  check_layer(c, random_tensor({2, 3, 6, 6}, gen));
  Conv2D strided(Conv2DOptions(2, {3, 2}).strides({2, 1}));
  check_layer(strided, random_tensor({2, 2, 7, 5}, gen));
}

TEST_CASE("gradient check: Reshape, Permute, LeakyReLU, ELU, capped ReLU, Activation by name") {
  Reshape reshape_layer(ReshapeOptions({4, -1}));
  check_layer(reshape_layer, random_tensor({2, 2, 6}, gen));
  CHECK(reshape_layer.output_shape() == Shape{4, 3});
  Permute permute_layer(PermuteOptions({2, 3, 1}));
  check_layer(permute_layer, random_tensor({2, 3, 4, 2}, gen));
  CHECK(permute_layer.output_shape() == Shape{4, 2, 3});
  LeakyReLU leaky(0.1);
  check_layer(leaky, away_from_zero({3, 4}));
  ELU elu_layer(ELUOptions().alpha(0.7));
  check_layer(elu_layer, away_from_zero({3, 4}));
  ReLU capped(ReLUOptions().max_value(0.5));
  check_layer(capped, Tensor::from_vector({1, 4}, {-0.3f, 0.2f, 0.9f, 0.35f}));
  for (const char* name : {"gelu", "selu", "swish", "softplus", "mish"}) {
    CAPTURE(name);
    Activation act(name);
    check_layer(act, away_from_zero({2, 3}));
  }
  CHECK_THROWS_WITH_AS(Reshape(ReshapeOptions({5})).compute_output_shape({2, 3}),
                       doctest::Contains("cannot reshape inputs of shape (2, 3) to (5,)"), std::invalid_argument);
  CHECK_THROWS_AS(Permute(PermuteOptions({1, 1})), std::invalid_argument);
}

TEST_CASE("gradient check: MaxPool2D, Flatten, ReLU, Softmax, Activation, Dropout") {
  MaxPool2D pool(2);
  check_layer(pool, distinct({2, 3, 4, 4}));
  Flatten flat;
  check_layer(flat, random_tensor({2, 3, 2, 2}, gen));
  ReLU relu_layer;
  check_layer(relu_layer, away_from_zero({3, 5}));
  Softmax softmax_layer;
  check_layer(softmax_layer, random_tensor({3, 5}, gen));
  Activation act("sigmoid");
  check_layer(act, random_tensor({3, 5}, gen));
  Dropout drop(0.5f, 42);
  check_layer(drop, random_tensor({4, 8}, gen), true, [&] { drop.generator().set_state(42); });
}

TEST_CASE("output shapes and parameter counts, as Keras computes them") {
  Dense d(10);
  d.build({784});
  CHECK(d.output_shape() == Shape{10});
  CHECK(d.count_params() == 7850);
  Conv2D c(32, 5, "same", "relu");
  c.build({1, 28, 28});
  CHECK(c.output_shape() == Shape{32, 28, 28});
  CHECK(c.count_params() == 832);
  CHECK(Conv2D(64, 5, "valid").compute_output_shape({32, 14, 14}) == Shape{64, 10, 10});
  CHECK(MaxPool2D(2).compute_output_shape({32, 28, 28}) == Shape{32, 14, 14});
  CHECK(MaxPool2D(2, 2, "same").compute_output_shape({1, 5, 5}) == Shape{1, 3, 3});
  CHECK(Flatten().compute_output_shape({64, 7, 7}) == Shape{3136});
  CHECK(Dropout(0.5f).compute_output_shape({12}) == Shape{12});
}

TEST_CASE("Dense(784->10) given (N, 100) names the layer and both shapes") {
  Dense d(10, "linear", "classifier");
  d.build({784});
  try {
    d(Variable(Tensor::zeros({32, 100})));
    FAIL("expected a shape error");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("Dense 'classifier'") != std::string::npos);
    CHECK(msg.find("(None, 784)") != std::string::npos);
    CHECK(msg.find("(32, 100)") != std::string::npos);
  }
  CHECK_THROWS_WITH_AS(Conv2D(4, 3).compute_output_shape({28, 28}), doctest::Contains("Conv2D"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Dense(4, "swich"), doctest::Contains("unknown activation 'swich' (expected one of: elu, exponential"), std::invalid_argument);
  CHECK_THROWS_AS(Conv2D(4, 7).compute_output_shape({1, 5, 5}), std::invalid_argument);
}

TEST_CASE("Keras-style default names") {
  Dense a(1), b(1);
  CHECK(a.name() != b.name());
  CHECK(a.name().rfind("dense", 0) == 0);
  CHECK(MaxPool2D().name().rfind("max_pooling2d", 0) == 0);
}

TEST_CASE("initializers follow Keras's definitions") {
  Generator g(1);
  Tensor u = AnyInitializer("glorot_uniform")({200, 300}, 200, 300, g);
  const float limit = std::sqrt(6.0f / 500.0f);
  double sum_sq = 0;
  for (float v : u.to_vector()) {
    CHECK(std::fabs(v) <= limit);
    sum_sq += double(v) * v;
  }
  CHECK(sum_sq / u.numel() == doctest::Approx(limit * limit / 3).epsilon(0.05));
  Tensor h = AnyInitializer("he_normal")({400, 250}, 400, 250, g);
  double var = 0;
  for (float v : h.to_vector()) {
    CHECK(std::fabs(v) <= 2.0f * std::sqrt(2.0f / 400.0f) / 0.87962566f + 1e-6f);
    var += double(v) * v;
  }
  CHECK(var / h.numel() == doctest::Approx(2.0 / 400).epsilon(0.05));
  CHECK(AnyInitializer("zeros")({3}, 1, 1, g).to_vector() == std::vector<float>{0, 0, 0});
  CHECK_THROWS_AS(AnyInitializer("orthogonal")({3}, 1, 1, g), std::invalid_argument);
}

TEST_CASE("freezing a layer stops its gradients") {
  Dense d(2);
  d.build({3});
  d.set_trainable(false);
  CHECK(d.trainable_parameters().empty());
  Variable x(Tensor::ones({1, 3}), true);
  sum(d(x)).backward();
  CHECK_FALSE(d.kernel().has_grad());
  CHECK(x.has_grad());
}

TEST_CASE("layers are rebuilt from their config") {
  Conv2D c(Conv2DOptions(8, 3).strides(2).padding("same").activation("relu").use_bias(false).kernel_initializer(
      "he_normal").name("c1"));
  LayerPtr copy = create_layer(c.type(), c.config());
  CHECK(copy->type() == "Conv2D");
  CHECK(copy->name() == "c1");
  CHECK(copy->config() == c.config());
  Dropout d(0.25f, 3);
  CHECK(create_layer("Dropout", d.config())->config() == d.config());
  CHECK_THROWS_AS(create_layer("Lambda", {}), std::invalid_argument);
  CHECK_THROWS_AS(create_layer("Dense", {{"units", std::string("ten")}}), std::invalid_argument);
  // A misspelt key is an error that lists the known ones, not silently ignored.
  CHECK_THROWS_WITH_AS(create_layer("Dense", {{"units", int64_t{3}}, {"activaton", std::string("relu")}}),
                       doctest::Contains("unknown key 'activaton' for Dense (known: units, activation"),
                       std::invalid_argument);
  // Bad sizes in the constructors of abstract layer classes are errors, not a pure virtual call.
  CHECK_THROWS_WITH_AS(create_layer("MaxPool2D", {{"pool_size", std::vector<int64_t>{0, 2}}}),
                       doctest::Contains("MaxPool2D 'max_pooling2d"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(create_layer("AveragePooling2D", {{"strides", std::vector<int64_t>{1, -3}}}),
                       doctest::Contains("stride width must be in [1, 2147483647], got -3"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(create_layer("Dense", {{"units", int64_t{3}}, {"input_shape", std::vector<int64_t>{0}}}),
                       doctest::Contains("input_shape (0,) must have positive extents"), std::invalid_argument);
  // Optional keys a config leaves out are still listed as known.
  CHECK_THROWS_WITH_AS(create_layer("MaxPool2D", {{"pool_sizes", std::vector<int64_t>{2, 2}}}),
                       doctest::Contains("(known: pool_size, strides, padding"), std::invalid_argument);
  // An initializer error names its key (a layer may have several).
  CHECK_THROWS_WITH_AS(create_layer("Dense", {{"units", int64_t{3}}, {"bias_initializer", std::string("zeroes")}}),
                       doctest::Contains("bias_initializer: unknown initializer 'zeroes'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(create_layer("BatchNormalization", {{"moving_variance_initializer", std::string("one")}}),
                       doctest::Contains("moving_variance_initializer: unknown initializer 'one'"),
                       std::invalid_argument);
  // Keys left out take Keras's defaults.
  CHECK(create_layer("Dense", {{"units", int64_t{3}}})->config().at("activation") == ConfigValue(std::string("linear")));
  for (LayerPtr l : std::vector<LayerPtr>{std::make_shared<Reshape>(ReshapeOptions({2, -1})),
                                          std::make_shared<Permute>(PermuteOptions({2, 1})),
                                          std::make_shared<LeakyReLU>(0.2), std::make_shared<ELU>(),
                                          std::make_shared<ReLU>(ReLUOptions().max_value(6.0)),
                                          std::make_shared<Activation>("gelu")}) {
    CAPTURE(l->type());
    CHECK(create_layer(l->type(), l->config())->config() == l->config());
  }
}

TEST_CASE("gradient check: AveragePooling2D (valid, same, strided) and GlobalAveragePooling2D") {
  AveragePooling2D pool(2);
  check_layer(pool, random_tensor({2, 3, 4, 4}, gen));
  AveragePooling2D same(AveragePooling2DOptions(3).strides(2).padding("same"));
  check_layer(same, random_tensor({2, 2, 5, 5}, gen));
  GlobalAveragePooling2D gap;
  check_layer(gap, random_tensor({2, 3, 3, 4}, gen));
}

TEST_CASE("average pooling values: padding is not counted, as in TensorFlow") {
  // One 3x3 plane 1..9; a 2x2 window, stride 2, 'same' -> windows {1,2,4,5}, {3,6}, {7,8}, {9}.
  const Tensor x = Tensor::from_vector({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor y = avg_pool2d(Variable(x), 2, 2, 2, 2, Padding("same")).value();
  CHECK(y.shape() == Shape{1, 1, 2, 2});
  CHECK(y.to_vector() == std::vector<float>{3.0f, 4.5f, 7.5f, 9.0f});
  CHECK(global_avg_pool2d(Variable(x)).value().to_vector() == std::vector<float>{5.0f});
  CHECK(AveragePooling2D(2).compute_output_shape({32, 28, 28}) == Shape{32, 14, 14});
  CHECK(AveragePooling2D(AveragePooling2DOptions(2).padding("same")).compute_output_shape({1, 5, 5}) == Shape{1, 3, 3});
  CHECK(GlobalAveragePooling2D().compute_output_shape({64, 7, 7}) == Shape{64});
  CHECK(AveragePooling2D().name().rfind("average_pooling2d", 0) == 0);
  CHECK_THROWS_WITH_AS(GlobalAveragePooling2D().compute_output_shape({28, 28}), doctest::Contains("GlobalAveragePooling2D"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(avg_pool2d(Variable(x), 5, 5, 1, 1), doctest::Contains("avg_pool2d: window 5x5 is larger"),
                       std::invalid_argument);
}

TEST_CASE("gradient check: BatchNormalization in training and inference, dense and convolutional") {
  BatchNormalization dense;
  check_layer(dense, random_tensor({6, 4}, gen), true);
  check_layer(dense, random_tensor({6, 4}, gen), false);
  BatchNormalization conv(BatchNormalizationOptions().momentum(0.9f).epsilon(1e-2f));
  check_layer(conv, random_tensor({3, 2, 3, 4}, gen), true);
  BatchNormalization last_axis(BatchNormalizationOptions().axis(-1).center(false));
  check_layer(last_axis, random_tensor({2, 3, 5}, gen), true);
  BatchNormalization no_affine(BatchNormalizationOptions().scale(false).center(false));
  check_layer(no_affine, random_tensor({4, 3, 2, 2}, gen), true);
}

TEST_CASE("BatchNormalization follows Keras: batch statistics, moving averages, frozen = inference") {
  // Two channels of (N=2, C=2, 1, 2): channel 0 holds {1, 3, 5, 7}, channel 1 holds {2, 2, 4, 4}.
  const Tensor x = Tensor::from_vector({2, 2, 1, 2}, {1, 3, 2, 2, 5, 7, 4, 4});
  BatchNormalization bn(BatchNormalizationOptions().momentum(0.9f).epsilon(1e-3f));
  const Tensor y = bn(Variable(x), true).value();
  // channel 0: mean 4, biased var 5; channel 1: mean 3, var 1.
  const auto yv = y.to_vector();
  const float s0 = 1.0f / std::sqrt(5.001f), s1 = 1.0f / std::sqrt(1.001f);
  const std::vector<float> expected{-3 * s0, -1 * s0, -1 * s1, -1 * s1, 1 * s0, 3 * s0, 1 * s1, 1 * s1};
  for (size_t i = 0; i < expected.size(); ++i) CHECK(yv[i] == doctest::Approx(expected[i]).epsilon(1e-5));
  // moving = 0.9 moving + 0.1 batch, from mean 0 and variance 1 (the biased variance, as Keras).
  const auto mm = bn.moving_mean().to_vector(), mv = bn.moving_variance().to_vector();
  CHECK(mm[0] == doctest::Approx(0.4f));
  CHECK(mm[1] == doctest::Approx(0.3f));
  CHECK(mv[0] == doctest::Approx(0.9f + 0.5f));
  CHECK(mv[1] == doctest::Approx(1.0f));
  // Inference uses the moving statistics and changes nothing.
  const Tensor yi = bn(Variable(x), false).value();
  CHECK(yi.to_vector()[0] == doctest::Approx((1.0f - 0.4f) / std::sqrt(1.4f + 1e-3f)));
  CHECK(bn.moving_mean().to_vector() == mm);
  // A frozen layer runs in inference mode even in training, and its statistics stay.
  bn.set_trainable(false);
  CHECK(bn(Variable(x), true).value().to_vector() == yi.to_vector());
  CHECK(bn.moving_mean().to_vector() == mm);
  // Unfreezing makes gamma and beta trainable again, never the moving statistics.
  bn.set_trainable(true);
  CHECK(bn.trainable_parameters().size() == 2);
  CHECK(bn.parameters().size() == 4);
  CHECK(bn.named_parameters()[2].first == "moving_mean");
}

TEST_CASE("BatchNormalization: shapes, parameters, config and errors") {
  BatchNormalization bn;
  CHECK(bn.name().rfind("batch_normalization", 0) == 0);
  CHECK(bn.compute_output_shape({32, 28, 28}) == Shape{32, 28, 28});
  const auto specs = bn.weight_specs({32, 28, 28});
  REQUIRE(specs.size() == 4);
  CHECK(specs[0].shape == Shape{32});
  CHECK_FALSE(specs[3].trainable);
  Sequential m;
  m.add<Conv2D>(Conv2DOptions(32, 3).input_shape({1, 28, 28}));
  m.add<BatchNormalization>();
  m.add<Flatten>();
  m.add<Dense>(10);
  CHECK(m.count_params() - m.count_trainable_params() == 64);  // Keras: 64 non-trainable of 128
  CHECK(m.summary().find("Non-trainable params: 64") != std::string::npos);
  BatchNormalization custom(BatchNormalizationOptions().axis(-1).momentum(0.9f).center(false).gamma_initializer(
      "constant(value=0.5)"));
  CHECK(create_layer("BatchNormalization", custom.config())->config() == custom.config());
  CHECK_THROWS_WITH_AS(BatchNormalization(BatchNormalizationOptions().axis(0)), doctest::Contains("batch axis"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(BatchNormalization(BatchNormalizationOptions().momentum(1.5f)), doctest::Contains("momentum"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(BatchNormalization(BatchNormalizationOptions().axis(4)).compute_output_shape({3, 4, 5}),
                       doctest::Contains("axis 4"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(batch_norm(Variable(Tensor::ones({2, 3})), Variable(Tensor::ones({4})), Variable(), 1, 1e-3f),
                       doctest::Contains("gamma (4,) for 3 channels"), std::invalid_argument);
}
