// Functional models: symbolic tensors, graphs with merges and shared layers, Sequential as a chain,
// save/load of graphs, and the errors that name the layers.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>

#include "gradcheck.hpp"
#include "nn/nn.hpp"
#include "model_craft.hpp"
#include "temp_dir.hpp"

using namespace nn;
using namespace nn::test;

namespace {

Tensor random(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  return random_tensor(shape, g);
}


// A small residual network: conv -> (conv, conv) + skip -> concatenate -> dense softmax.
Model residual() {
  auto inputs = Input({1, 8, 8});
  auto stem = layer<Conv2D>(Conv2DOptions(4, Size2(3)).padding("same").activation("relu"))(inputs);
  auto branch = layer<Conv2D>(Conv2DOptions(4, Size2(3)).padding("same").activation("relu"))(stem);
  auto sum = layer<Add>()({stem, branch});
  auto joined = layer<Concatenate>(1)({sum, stem});  // (N, 8, 8, 8)
  auto pooled = layer<MaxPool2D>(Size2(2))(joined);
  auto outputs = layer<Dense>(DenseOptions(3).activation("softmax"))(layer<Flatten>()(pooled));
  return Model(inputs, outputs, "residual");
}

// Two inputs, two outputs: a 3-class softmax head "digit" and a regression head "size" over a
// shared trunk. Targets: the class of the larger input's sum, and the inputs' mean.
Model two_heads() {
  auto a = Input({4}, "image");
  auto b = Input({2}, "extra");
  auto joined = layer<Concatenate>()({a, b});
  auto trunk = layer<Dense>(DenseOptions(8).activation("tanh"))(joined);
  auto digit = layer<Dense>(DenseOptions(3).activation("softmax").name("digit"))(trunk);
  auto size = layer<Dense>(DenseOptions(1).name("size"))(trunk);
  return Model({a, b}, {digit, size}, "two_heads");
}

struct TwoHeadData {
  Tensor a, b, label, size;
};

TwoHeadData two_head_data(int64_t n, uint64_t seed) {
  TwoHeadData d{random({n, 4}, seed), random({n, 2}, seed + 1), Tensor(), Tensor()};
  const auto A = d.a.to_vector(), B = d.b.to_vector();
  std::vector<float> label, size;
  for (int64_t i = 0; i < n; ++i) {
    const auto r = static_cast<size_t>(i);
    const float sa = A[r * 4] + A[r * 4 + 1] + A[r * 4 + 2] + A[r * 4 + 3], sb = B[r * 2] + B[r * 2 + 1];
    label.push_back(sa > sb + 0.5f ? 0.0f : sa > sb - 0.5f ? 1.0f : 2.0f);
    size.push_back((sa + sb) / 6.0f);
  }
  d.label = Tensor::from_vector({n}, label);
  d.size = Tensor::from_vector({n, 1}, size);
  return d;
}

}  // namespace

TEST_CASE("a model of two inputs and two outputs: the loss is the weighted sum of each output's, logged per output") {
  Model m = two_heads();
  m.compile(SGD(0.1), {"sparse_categorical_crossentropy", "mse"}, {"accuracy"}, {1.0f, 0.5f});
  const TwoHeadData d = two_head_data(16, 7);
  const std::vector<Tensor> xs{d.a, d.b}, ys{d.label, d.size};
  // The losses by hand from predict's outputs.
  const std::vector<Tensor> p = m.predict(xs);
  const float l_digit = SparseCategoricalCrossentropy()(Variable(p[0]), d.label).value().item();
  const float l_size = MeanSquaredError()(Variable(p[1]), d.size).value().item();
  const Logs logs = m.test_on_batch(xs, ys);
  CHECK(logs.at("digit_loss") == doctest::Approx(l_digit).epsilon(1e-5));
  CHECK(logs.at("size_loss") == doctest::Approx(l_size).epsilon(1e-5));
  CHECK(logs.at("loss") == doctest::Approx(l_digit + 0.5f * l_size).epsilon(1e-5));
  CHECK(logs.count("digit_accuracy") == 1);
  CHECK(logs.count("size_accuracy") == 1);
  CHECK(logs.count("accuracy") == 0);

  // One SGD step moves every weight by -lr times the gradient of that weighted sum, computed here
  // through call() on a copy with the same weights.
  Model ref = two_heads();
  ref.set_weights(m.get_weights());
  std::vector<Variable> out = ref.call({Variable(d.a), Variable(d.b)}, true);
  Variable total = add(SparseCategoricalCrossentropy()(out[0], d.label), scale(MeanSquaredError()(out[1], d.size), 0.5f));
  total.backward();
  std::vector<Tensor> expected;
  for (const Variable& v : ref.parameters()) {
    const auto w = v.value().to_vector(), g = v.grad().to_vector();
    std::vector<float> e(w.size());
    for (size_t i = 0; i < w.size(); ++i) e[i] = w[i] - 0.1f * g[i];
    expected.push_back(Tensor::from_vector(v.shape(), e));
  }
  const Logs trained = m.train_on_batch(xs, ys);
  CHECK(trained.at("loss") == doctest::Approx(logs.at("loss")).epsilon(1e-5));  // the loss before the step
  const std::vector<Tensor> after = m.get_weights();
  REQUIRE(after.size() == expected.size());
  for (size_t i = 0; i < after.size(); ++i) CHECK(max_abs_diff(after[i], expected[i]) < 1e-5f);

  // One loss for every output; no weights: the plain sum.
  Model same = two_heads();
  same.compile("sgd", "mse");
  const Tensor onehot_size = Tensor::zeros({16, 3});
  const Logs both = same.test_on_batch(xs, {onehot_size, d.size});
  CHECK(both.at("loss") == doctest::Approx(both.at("digit_loss") + both.at("size_loss")).epsilon(1e-5));
}

TEST_CASE("a model of two inputs and two outputs fits a dataset of tuples, validates, saves and resumes") {
  const TwoHeadData d = two_head_data(192, 11), v = two_head_data(64, 12);
  Model m = two_heads();
  m.compile(Adam(0.02), {"sparse_categorical_crossentropy", "mse"}, {"accuracy"}, {1.0f, 2.0f});
  const auto train = data::Dataset::from_tensor_slices({d.a, d.b}, {d.label, d.size}).shuffle(192, 3).batch(16);
  const auto val = data::Dataset::from_tensor_slices({v.a, v.b}, {v.label, v.size}).batch(32);
  const Logs before = m.evaluate(val);
  const History h = m.fit(train, FitOptions().epochs(30).validation_data(val).verbose(0));
  for (const char* key : {"loss", "digit_loss", "size_loss", "digit_accuracy", "val_loss", "val_digit_accuracy",
                          "val_size_loss", "learning_rate"}) {
    CAPTURE(key);
    CHECK(h.history.count(key) == 1);
  }
  const Logs after = m.evaluate(val);
  CHECK(after.at("digit_loss") < before.at("digit_loss") * 0.7);
  CHECK(after.at("size_loss") < before.at("size_loss") * 0.5);
  CHECK(after.at("digit_accuracy") > 0.75);
  CHECK(after.at("loss") == doctest::Approx(after.at("digit_loss") + 2.0 * after.at("size_loss")).epsilon(1e-5));

  // fit(xs, ys) with a validation split, as Keras's fit([x1, x2], [y1, y2]).
  const History hs = m.fit({d.a, d.b}, {d.label, d.size}, FitOptions().epochs(2).batch_size(32).validation_split(0.25).verbose(0));
  CHECK(hs.history.at("val_size_loss").size() == 2);

  TempDir dir;
  const std::string path = (dir.path / "two_heads.nn").string();
  m.save(path);
  Model back = load_model(path);
  REQUIRE(back.losses().size() == 2);
  CHECK(back.losses()[1]->name() == "mean_squared_error");
  CHECK(back.loss_weights() == std::vector<float>{1.0f, 2.0f});
  const std::vector<Tensor> xs{v.a, v.b}, ys{v.label, v.size};
  CHECK(back.evaluate(xs, ys).at("loss") == doctest::Approx(m.evaluate(xs, ys).at("loss")).epsilon(1e-6));
  m.train_on_batch({d.a, d.b}, {d.label, d.size});
  back.train_on_batch({d.a, d.b}, {d.label, d.size});
  const std::vector<Tensor> pm = m.predict(xs), pb = back.predict(xs);
  CHECK(max_abs_diff(pm[0], pb[0]) < 1e-6f);
  CHECK(max_abs_diff(pm[1], pb[1]) < 1e-6f);
}

TEST_CASE("several inputs and outputs: counts and sizes that do not fit are errors") {
  Model m = two_heads();
  CHECK_THROWS_WITH_AS(m.compile("adam", {"mse", "mse", "mse"}), doctest::Contains("3 losses for the model 'two_heads' of 2 outputs"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.compile("adam", {"mse", "mse"}, {}, {1.0f}), doctest::Contains("1 loss weights"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.compile("adam", {"mse", "mse"}, {}, {1.0f, -1.0f}), doctest::Contains("not >= 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.compile("adam", {SparseCategoricalCrossentropy(true), MeanSquaredError()}),
                       doctest::Contains("softmax at output 'digit'"), std::invalid_argument);
  m.compile("adam", {"sparse_categorical_crossentropy", "mse"});
  const TwoHeadData d = two_head_data(8, 1);
  CHECK_THROWS_WITH_AS(m.train_on_batch({d.a, d.b}, {d.label}), doctest::Contains("2 inputs and 1 targets"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.train_on_batch({d.a}, {d.label, d.size}), doctest::Contains("1 inputs and 2 targets"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.train_on_batch({d.a, d.b.slice(0, 4)}, {d.label, d.size}), doctest::Contains("differ in size"),
                       std::invalid_argument);
  // A dataset of single examples for a model of two inputs.
  CHECK_THROWS_WITH_AS(m.fit(data::Dataset::from_tensor_slices(d.a, d.label).batch(4), FitOptions().verbose(0)),
                       doctest::Contains("1 inputs and 1 targets"), std::invalid_argument);
}

TEST_CASE("a functional model computes its graph: an Add, a Concatenate and a shared layer, by hand") {
  auto a = Input({3});
  auto b = Input({3});
  auto shared = layer<Dense>(DenseOptions(4).use_bias(false));
  auto ha = shared(a), hb = shared(b);
  auto sum = layer<Add>()({ha, hb});
  auto prod = layer<Multiply>()({ha, hb});
  auto cat = layer<Concatenate>()({sum, prod});
  Model m({a, b}, {cat, ha}, "two_in_two_out");
  CHECK(m.layers().size() == 4);            // the shared Dense once
  CHECK(m.count_params() == 12);            // one kernel (3, 4)
  CHECK(m.output_shapes() == std::vector<Shape>{{8}, {4}});
  const Tensor xa = random({5, 3}, 1), xb = random({5, 3}, 2);
  const std::vector<Tensor> y = m.predict({xa, xb});
  REQUIRE(y.size() == 2);
  const Tensor w = shared->parameters()[0].value();
  const auto W = w.to_vector(), A = xa.to_vector(), B = xb.to_vector(), Y = y[0].to_vector(), H = y[1].to_vector();
  for (int n = 0; n < 5; ++n)
    for (int j = 0; j < 4; ++j) {
      float pa = 0, pb = 0;
      for (int k = 0; k < 3; ++k) {
        pa += A[static_cast<size_t>(n * 3 + k)] * W[static_cast<size_t>(k * 4 + j)];
        pb += B[static_cast<size_t>(n * 3 + k)] * W[static_cast<size_t>(k * 4 + j)];
      }
      CHECK(Y[static_cast<size_t>(n * 8 + j)] == doctest::Approx(pa + pb).epsilon(1e-5));
      CHECK(Y[static_cast<size_t>(n * 8 + 4 + j)] == doctest::Approx(pa * pb).epsilon(1e-5));
      CHECK(H[static_cast<size_t>(n * 4 + j)] == doctest::Approx(pa).epsilon(1e-5));
    }
  const std::string s = m.summary();
  CHECK(s.find("Connected to") != std::string::npos);
  CHECK(s.find(sum.layer()->name() + " (Add)") != std::string::npos);
  CHECK(s.find(ha.layer()->name() + "[0], " + hb.layer()->name() + "[1]") != std::string::npos);  // one layer, two calls
  CHECK_THROWS_WITH_AS(m.fit(xa, xa), doctest::Contains("has 2 inputs and 2 outputs"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.predict(xa), doctest::Contains("give one tensor per input"), std::invalid_argument);
}

TEST_CASE("concatenate's gradient, along each axis") {
  for (int axis : {0, 1, 2, -1}) {
    CAPTURE(axis);
    Shape sa{2, 3, 4}, sb{2, 3, 4};
    const int a = axis < 0 ? axis + 3 : axis;
    sb[static_cast<size_t>(a)] = 2;
    CHECK(gradcheck([axis](auto& in) { return concatenate({in[0], in[1]}, axis); }, {random(sa, 3), random(sb, 4)}) == 0);
  }
  CHECK_THROWS_WITH_AS(concatenate({Variable(Tensor({2, 3})), Variable(Tensor({3, 3}))}, 1),
                       doctest::Contains("differ outside axis 1"), std::invalid_argument);
}

TEST_CASE("a functional model trains, and saves and loads as a graph with the same predictions") {
  Model m = residual();
  m.compile(Adam(0.01), "sparse_categorical_crossentropy", {"accuracy"});
  const Tensor x = random({24, 1, 8, 8}, 5);
  std::vector<float> labels;
  for (int i = 0; i < 24; ++i) labels.push_back(static_cast<float>(i % 3));
  const Tensor y = Tensor::from_vector({24}, labels);
  const float before = m.evaluate(x, y)["loss"];
  m.fit(x, y, FitOptions().epochs(15).batch_size(8).verbose(0).seed(uint64_t{1}));
  CHECK(m.evaluate(x, y)["loss"] < before * 0.7f);
  TempDir dir;
  const std::string path = (dir.path / "residual.nn").string();
  m.save(path);
  Model back = load_model(path);
  CHECK_FALSE(back.is_sequential());
  CHECK(back.name() == "residual");
  CHECK(back.layers().size() == m.layers().size());
  CHECK(back.compiled());
  CHECK(max_abs_diff(back.predict(x), m.predict(x)) == 0.0f);
  // Training resumes identically (optimizer state travelled with the graph).
  m.train_on_batch(x, y);
  back.train_on_batch(x, y);
  CHECK(max_abs_diff(back.predict(x), m.predict(x)) < 1e-6f);
  CHECK_THROWS_WITH_AS(Sequential(load_model(path)), doctest::Contains("is a functional model"), std::invalid_argument);
  // Weights only, into a freshly built graph of the same architecture.
  m.save_weights((dir.path / "w.nn").string());
  Model fresh = residual();
  fresh.load_weights((dir.path / "w.nn").string());
  CHECK(max_abs_diff(fresh.predict(x), m.predict(x)) == 0.0f);
}

TEST_CASE("a Sequential is a chain graph: the same outputs as its layers applied by hand, saved as a Sequential") {
  Sequential s;
  s.add<Dense>(5, "relu");
  s.add<Dense>(DenseOptions(2).activation("softmax"));
  s.build({3});
  REQUIRE(s.nodes().size() == 3);  // its input, two layers
  CHECK(s.nodes()[2].inputs == std::vector<int>{1});
  const Tensor x = random({4, 3}, 6);
  const Tensor by_hand = (*s.layers()[1])((*s.layers()[0])(Variable(x))).value();
  CHECK(max_abs_diff(s.predict(x), by_hand) == 0.0f);
  TempDir dir;
  s.save((dir.path / "s.nn").string());
  Sequential back = load_model((dir.path / "s.nn").string());  // a Model that is a Sequential converts
  CHECK(back.is_sequential());
  CHECK(max_abs_diff(back.predict(x), by_hand) == 0.0f);
  back.add<Dense>(7);  // and grows as one
  CHECK(back.output_shape() == Shape{7});
}

TEST_CASE("graph errors name the layers: unused inputs, missing inputs, shapes, names, cycles") {
  auto a = Input(InputLayerOptions({3}).name("in_a"));
  auto b = Input(InputLayerOptions({3}).name("in_b"));
  auto h = layer<Dense>(DenseOptions(4).name("d"))(a);
  CHECK_THROWS_WITH_AS(Model({a, b}, {h}), doctest::Contains("input InputLayer 'in_b' is not used by any output"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Model({b}, {h}), doctest::Contains("needs InputLayer 'in_a', which is not among the model's inputs"),
                       std::invalid_argument);
  auto c = Input({5});
  CHECK_THROWS_WITH_AS(layer<Add>(MergeOptions().name("plus"))({a, c}),
                       doctest::Contains("Add 'plus': inputs must have one shape, got [(3,), (5,)]"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(layer<Add>()({a}), doctest::Contains("at least two inputs"), std::invalid_argument);
  auto d = layer<Dense>(DenseOptions(4).name("shared_d"));
  d(a);
  CHECK_THROWS_WITH_AS(d(c), doctest::Contains("Dense 'shared_d'"), std::invalid_argument);
  auto twin = layer<Dense>(DenseOptions(2).name("d"))(h);
  CHECK_THROWS_WITH_AS(Model(a, twin), doctest::Contains("two different layers are named 'd'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(layer<Dense>(2)({a, b}), doctest::Contains("takes one input, got 2"), std::invalid_argument);

  // A graph given as nodes (as files are read) may hold a cycle.
  auto in = Input(InputLayerOptions({4}).name("x"));
  auto p = std::make_shared<Dense>(DenseOptions(4).name("p"));
  auto q = std::make_shared<Dense>(DenseOptions(4).name("q"));
  const std::vector<GraphNode> nodes{{in, {}, {}}, {p, {2}, {}}, {q, {1}, {}}};
  CHECK_THROWS_WITH_AS(Model(nodes, {0}, {2}, "loop"), doctest::Contains("cycle: q -> p -> q"), std::invalid_argument);
  const std::vector<GraphNode> dangling{{in, {}, {}}, {p, {0}, {}}, {q, {0}, {}}};
  CHECK_THROWS_WITH_AS(Model(dangling, {0}, {2}, "dangling"), doctest::Contains("Dense 'p' leads to no output"),
                       std::invalid_argument);
}

TEST_CASE("a functional model's file is checked as a graph: cycles, bad indices and stray layers are refused") {
  Model m = residual();
  TempDir dir;
  const std::string path = (dir.path / "r.nn").string();
  m.save(path);
  std::string bytes;
  {
    std::ifstream f(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const test::ModelParts parts = test::split_model(bytes);
  const auto refused = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    test::ModelParts p = parts;
    edit(p.header);
    const std::string bad = (dir.path / "bad.nn").string();
    std::ofstream(bad, std::ios::binary) << test::assemble_model(p.header.dump(), p.data, io::kModelFormatVersion);
    CHECK_THROWS_WITH_AS(load_model(bad), doctest::Contains(message.c_str()), std::runtime_error);
  };
  auto& nodes = parts.header["model"]["nodes"];
  const size_t last = nodes.size() - 1;
  refused([&](nlohmann::json& h) { h["model"]["nodes"][1]["inputs"] = {last}; }, "cycle");
  refused([&](nlohmann::json& h) { h["model"]["nodes"][1]["inputs"] = {99}; }, "model.nodes[1].inputs[0]");
  refused([&](nlohmann::json& h) { h["model"]["nodes"][1]["layer"] = 0; }, "an Input is used by one node only");
  refused([&](nlohmann::json& h) { h["model"]["outputs"] = {last - 1}; }, "leads to no output");
  refused([&](nlohmann::json& h) { h["model"]["class"] = "Graph"; }, "unknown model class");
  // Two loads of one file are independent models (no layer shared between them).
  Model one = load_model(path), two = load_model(path);
  one.parameters()[0].value().fill(0.0f);
  CHECK(max_abs_diff(two.parameters()[0].value(), m.parameters()[0].value()) == 0.0f);
}

TEST_CASE("the layers ONNX import builds on: Subtract, Rescaling and ZeroPadding2D, values and gradients") {
  // Subtract: a - b, and the gradient of each side.
  auto sub_layer = std::make_shared<Subtract>();
  CHECK(gradcheck([&](auto& in) { return sub_layer->call({in[0], in[1]}); }, {random({2, 3}, 1), random({2, 3}, 2)}) == 0);
  CHECK_THROWS_WITH_AS(Subtract().output_shape_of({{3}, {3}, {3}}), doctest::Contains("exactly two inputs"),
                       std::invalid_argument);
  // Rescaling with a per-channel scale and a scalar offset: x * s + 0.5.
  auto rescale = std::make_shared<Rescaling>(RescalingOptions(1.0, 0.5).scale_shape({2, 1, 1}));
  rescale->build({2, 2, 2});
  Tensor s = rescale->scale().value();
  s.copy_from(Tensor::from_vector({2, 1, 1}, std::vector<float>{2, -1}));
  const Tensor x = Tensor::from_vector({1, 2, 2, 2}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK((*rescale)(Variable(x)).value().to_vector() == std::vector<float>{2.5, 4.5, 6.5, 8.5, -4.5, -5.5, -6.5, -7.5});
  CHECK(rescale->count_params() == 2);
  CHECK(rescale->trainable_parameters().empty());  // a constant, saved with the model
  CHECK(gradcheck([&](auto& in) { return (*rescale)(in[0]); }, {random({2, 2, 2, 2}, 3)}) == 0);
  CHECK_THROWS_WITH_AS(Rescaling(RescalingOptions().offset_shape({3, 1})).output_shape_of({{2, 4}}),
                       doctest::Contains("does not broadcast"), std::invalid_argument);
  // ZeroPadding2D: (top, bottom, left, right).
  ZeroPadding2D pad(ZeroPadding2DOptions({1, 0, 0, 2}));
  const Tensor y = pad(Variable(Tensor::from_vector({1, 1, 1, 2}, std::vector<float>{3, 4}))).value();
  CHECK(y.shape() == Shape{1, 1, 2, 4});
  CHECK(y.to_vector() == std::vector<float>{0, 0, 0, 0, 3, 4, 0, 0});
  auto pad2 = std::make_shared<ZeroPadding2D>(ZeroPadding2DOptions({2, 1, 1, 3}));
  CHECK(gradcheck([&](auto& in) { return (*pad2)(in[0]); }, {random({2, 2, 3, 2}, 4)}) == 0);
  CHECK_THROWS_WITH_AS(ZeroPadding2D(ZeroPadding2DOptions({1, 2})), doctest::Contains("takes 4 amounts"),
                       std::invalid_argument);
  // All three save and load with their configuration and the Rescaling's weights.
  TempDir dir;
  auto in = Input({2, 2, 2});
  auto scaled = layer<Rescaling>(RescalingOptions(1.0, 0.25).scale_shape({2, 1, 1}))(in);
  Tensor w = scaled.layer()->named_parameters()[0].second.value();
  w.copy_from(Tensor::from_vector({2, 1, 1}, std::vector<float>{3, -2}));
  auto out = layer<Subtract>()({layer<ZeroPadding2D>(ZeroPadding2DOptions({1, 1, 1, 1}))(in),
                                layer<ZeroPadding2D>(ZeroPadding2DOptions({2, 0, 0, 2}))(scaled)});
  Model m(in, out, "new_layers");
  const Tensor batch = random({3, 2, 2, 2}, 5);
  save_model(m, dir / "m.nn");
  CHECK(max_abs_diff(load_model(dir / "m.nn").predict(batch), m.predict(batch)) == 0.0f);
}
