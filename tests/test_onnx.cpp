// ONNX export and import (nn::onnx): round trips, the importer's operators against hand-built
// graphs, and hostile files refused with errors that name what is wrong.
#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nn/io/onnx.hpp"
#include "nn/nn.hpp"
#include "gradcheck.hpp"
#include "onnx_models.hpp"
#include "temp_dir.hpp"

using namespace nn;
using namespace nn::test;

namespace {


// ---- hand-built ONNX graphs ----
struct Graph {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit Graph(int opset = 17) {
    m.set_ir_version(8);
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    g = m.mutable_graph();
    g->set_name("hand_built");
  }
  void input(const std::string& name, const std::vector<int64_t>& dims, int type = onnx::TensorProto::FLOAT) {
    auto* v = g->add_input();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(type);
    for (size_t i = 0; i < dims.size(); ++i) {
      if (i == 0)
        t->mutable_shape()->add_dim()->set_dim_param("N");
      else
        t->mutable_shape()->add_dim()->set_dim_value(dims[i]);
    }
  }
  void output(const std::string& name) {
    auto* v = g->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  }
  onnx::TensorProto* floats(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
    return t;
  }
  void ints(const std::string& name, const std::vector<int64_t>& v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + out);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  }
  std::string bytes() const { return m.SerializeAsString(); }
};

void attr_i(onnx::NodeProto* n, const char* name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void attr_ints(onnx::NodeProto* n, const char* name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

Model load(const Graph& g) { return io::load_onnx_bytes(g.bytes(), "hand.onnx"); }

void check_refused(const std::string& bytes, const std::string& message) {
  CAPTURE(message);
  CHECK_THROWS_WITH_AS(io::load_onnx_bytes(bytes, "hand.onnx"), doctest::Contains(message.c_str()), std::runtime_error);
}

}  // namespace

TEST_CASE("the tool's models and a graph of every layer go to ONNX and back with the same predictions") {
  TempDir dir;
  std::vector<std::pair<std::string, Model>> models{{"mlp", onnx_models::mlp()},
                                                     {"cnn", onnx_models::cnn()},
                                                     {"fast", onnx_models::fast()},
                                                     {"every_layer", onnx_models::every_layer()}};
  for (auto& [name, model] : models) {
    CAPTURE(name);
    const std::string path = dir / (name + ".onnx");
    save_onnx(model, path);
    Model back = load_onnx(path);
    CHECK(back.count_params() >= model.count_params() - 64);  // BatchNormalization on the last axis becomes a Rescaling
    const auto xs = onnx_models::inputs_for(model, 3, 5);
    const auto want = model.predict(xs), got = back.predict(xs);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) CHECK(max_abs_diff(got[i], want[i]) <= 1e-6f);
    // ...and the imported model saves as an nn model file and loads with the same predictions.
    save_model(back, dir / (name + ".nn"));
    const auto again = load_model(dir / (name + ".nn")).predict(xs);
    for (size_t i = 0; i < want.size(); ++i) CHECK(max_abs_diff(again[i], got[i]) == 0.0f);
  }
}

TEST_CASE("an exported file is ONNX IR 8 at opset 17 with a dynamic batch, named values and nn's metadata") {
  const std::string bytes = io::onnx_bytes(onnx_models::every_layer());
  onnx::ModelProto m;
  REQUIRE(m.ParseFromString(bytes));
  CHECK(m.ir_version() == 8);
  REQUIRE(m.opset_import_size() == 1);
  CHECK(m.opset_import(0).version() == 17);
  CHECK(m.producer_name() == "nn");
  CHECK(m.graph().name() == "every_layer");
  bool has_name = false;
  for (const auto& p : m.metadata_props()) has_name = has_name || (p.key() == "model_name" && p.value() == "every_layer");
  CHECK(has_name);
  REQUIRE(m.graph().input_size() == 2);
  CHECK(m.graph().input(0).name() == "image");
  CHECK(m.graph().input(0).type().tensor_type().shape().dim(0).dim_param() == "N");
  CHECK(m.graph().input(0).type().tensor_type().shape().dim(1).dim_value() == 2);
  REQUIRE(m.graph().output_size() == 2);
  for (const auto& n : m.graph().node()) CHECK(n.op_type() != "Dropout");  // the identity in inference
}

TEST_CASE("a model that cannot be exported says which layer, and writes nothing") {
  TempDir dir;
  Sequential unbuilt;
  unbuilt.add<Dense>(3);
  CHECK_THROWS_WITH_AS(save_onnx(unbuilt, dir / "m.onnx"), doctest::Contains("not built"), std::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(dir / "m.onnx"));
}

TEST_CASE("import: Gemm with transB and alpha, MatMul + Add fused into one Dense, Softmax") {
  Graph g;
  g.input("x", {-1, 3});
  g.floats("w", {2, 3}, {1, 2, 3, 4, 5, 6});  // (N, K) with transB
  g.floats("b", {2}, {0.5f, -0.5f});
  g.floats("w2", {2, 2}, {1, -1, 2, 0});
  g.floats("b2", {1, 2}, {0.25f, 0.75f});
  auto* gemm = g.node("Gemm", {"x", "w", "b"}, "h");
  attr_i(gemm, "transB", 1);
  auto* a = gemm->add_attribute();
  a->set_name("alpha");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(2.0f);
  g.node("MatMul", {"h", "w2"}, "m");
  g.node("Add", {"m", "b2"}, "z");
  g.node("Softmax", {"z"}, "y");
  g.output("y");
  Model model = load(g);
  CHECK(model.layers().size() == 3);  // Dense, Dense (with the Add), Activation
  const Tensor x = Tensor::from_vector({1, 3}, std::vector<float>{1, 0, -1});
  // h = 2 * x @ w^T + b = 2 * [1 - 3, 4 - 6] + b = [-3.5, -4.5]; z = h @ w2 + b2
  const float h0 = -3.5f, h1 = -4.5f;
  const float z0 = h0 * 1 + h1 * 2 + 0.25f, z1 = h0 * -1 + h1 * 0 + 0.75f;
  const float e0 = std::exp(z0 - std::max(z0, z1)), e1 = std::exp(z1 - std::max(z0, z1));
  const auto y = model.predict(x).to_vector();
  CHECK(y[0] == doctest::Approx(e0 / (e0 + e1)).epsilon(1e-6));
  CHECK(y[1] == doctest::Approx(e1 / (e0 + e1)).epsilon(1e-6));
}

TEST_CASE("import: Conv with asymmetric pads becomes ZeroPadding2D and a valid convolution") {
  Graph g;
  g.input("x", {-1, 1, 3, 3});
  g.floats("w", {1, 1, 2, 2}, {1, 1, 1, 1});
  auto* conv = g.node("Conv", {"x", "w"}, "y");
  attr_ints(conv, "pads", {1, 0, 0, 0});  // one row on top
  g.output("y");
  Model model = load(g);
  const Tensor x = Tensor::from_vector({1, 1, 3, 3}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor y = model.predict(x);
  CHECK(y.shape() == Shape{1, 1, 3, 2});
  CHECK(y.to_vector() == std::vector<float>{3, 5, 12, 16, 24, 28});
}

TEST_CASE("import: constants fold, Reshape keeps the batch, arithmetic with a constant is a Rescaling") {
  Graph g;
  g.input("x", {-1, 2, 2});
  g.ints("shape_a", {-1});
  g.ints("shape_b", {4});
  g.node("Concat", {"shape_a", "shape_b"}, "shape")->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("axis");
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(0);
    return a;
  }());
  g.node("Reshape", {"x", "shape"}, "flat");          // (N, 4)
  g.floats("mean", {4}, {1, 2, 3, 4});
  g.floats("two", {}, {2});
  g.node("Sub", {"flat", "mean"}, "centred");
  g.node("Div", {"centred", "two"}, "y");
  g.output("y");
  Model model = load(g);
  const Tensor x = Tensor::from_vector({2, 2, 2}, std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(model.predict(x).to_vector() == std::vector<float>{0, 0, 0, 0, 2, 2, 2, 2});
}

TEST_CASE("import refuses what it does not support, naming the operator, attribute, opset or dtype and the node") {
  {
    Graph g;
    g.input("x", {-1, 3});
    g.node("Erf", {"x"}, "y");
    g.output("y");
    check_refused(g.bytes(), "node 'Erf_y' (Erf): operator Erf is not supported");
  }
  {
    Graph g;
    g.input("x", {-1, 1, 4, 4});
    g.floats("w", {1, 1, 2, 2}, {1, 1, 1, 1});
    attr_ints(g.node("Conv", {"x", "w"}, "y"), "dilations", {2, 2});
    g.output("y");
    check_refused(g.bytes(), "(Conv): dilations other than 1 are not supported");
  }
  {
    Graph g;
    g.input("x", {-1, 3});
    attr_i(g.node("Relu", {"x"}, "y"), "bogus", 1);
    g.output("y");
    check_refused(g.bytes(), "node 'Relu_y' (Relu): attribute 'bogus' is not supported");
  }
  {
    Graph g(9);
    g.input("x", {-1, 3});
    g.node("Relu", {"x"}, "y");
    g.output("y");
    check_refused(g.bytes(), "opset 9 is not supported (nn imports opsets 11 to 17)");
  }
  {
    Graph g;
    g.input("x", {-1, 3}, onnx::TensorProto::INT64);
    g.node("Relu", {"x"}, "y");
    g.output("y");
    check_refused(g.bytes(), "input 'x': element type INT64 is not supported");
  }
  {
    Graph g;
    g.input("x", {-1, 3});
    g.node("Relu", {"later"}, "y");
    g.node("Relu", {"x"}, "later");
    g.output("y");
    check_refused(g.bytes(), "input 'later' is not computed before this node");
  }
  {
    Graph g;
    g.input("x", {-1, 3});
    g.node("Transpose", {"x"}, "y");
    g.output("y");
    check_refused(g.bytes(), "perm moves the batch axis");
  }
}

TEST_CASE("hostile ONNX files: truncated, sizes that disagree, huge declared tensors, external data") {
  const std::string good = io::onnx_bytes(onnx_models::mlp());
  check_refused(good.substr(0, good.size() / 2), "not a valid onnx.ModelProto");
  check_refused("", "no graph");
  check_refused(std::string("\x89PNG\r\n\x1a\n", 8), "not a valid onnx.ModelProto");
  const auto graph_with = [](const std::function<void(onnx::TensorProto*)>& edit) {
    Graph g;
    g.input("x", {-1, 3});
    edit(g.floats("w", {3, 2}, {1, 2, 3, 4, 5, 6}));
    g.node("MatMul", {"x", "w"}, "y");
    g.output("y");
    return g.bytes();
  };
  check_refused(graph_with([](onnx::TensorProto* t) { t->set_dims(0, 4); }),
                "initializer 'w': dims [4, 2] make 8 elements, but the data holds 6 values");
  check_refused(graph_with([](onnx::TensorProto* t) {
                  t->clear_float_data();
                  t->set_dims(0, int64_t{1} << 40);
                  t->set_raw_data(std::string(16, '\0'));
                }),
                "initializer 'w': dims [1099511627776, 2] make 2199023255552 elements, but the data holds 16 bytes");
  check_refused(graph_with([](onnx::TensorProto* t) {
                  t->set_data_location(onnx::TensorProto::EXTERNAL);
                  auto* e = t->add_external_data();
                  e->set_key("location");
                  e->set_value("/etc/passwd");
                }),
                "tensor data in an external file is not read");
  check_refused(graph_with([](onnx::TensorProto* t) { t->set_dims(1, -2); }), "negative dimension -2");
  check_refused(graph_with([](onnx::TensorProto* t) { t->set_data_type(onnx::TensorProto::STRING); }),
                "element type STRING is not supported");
  {
    Graph g;
    g.input("x", {-1, 1 << 20, 1 << 20});
    g.node("Relu", {"x"}, "y");
    g.output("y");
    check_refused(g.bytes(), "each example of shape (1048576, 1048576) is over");
  }
  {
    Graph g;  // a constant that doubles at each node
    g.input("x", {-1, 3});
    g.floats("c0", {1 << 12}, std::vector<float>(1 << 12, 1.0f));
    std::string last = "c0";
    for (int i = 1; i <= 20; ++i) {
      const std::string next = "c" + std::to_string(i);
      attr_i(g.node("Concat", {last, last}, next), "axis", 0);
      last = next;
    }
    g.node("Relu", {"x"}, "y");
    g.output("y");
    check_refused(g.bytes(), "(Concat): the concatenated constant is too large");
  }
}

TEST_CASE("load_onnx_tensor reads a TensorProto file, converting its element type") {
  TempDir dir;
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::DOUBLE);
  t.add_dims(2);
  t.add_double_data(1.5);
  t.add_double_data(-2.0);
  std::ofstream(dir / "t.pb", std::ios::binary) << t.SerializeAsString();
  const Tensor x = io::load_onnx_tensor(dir / "t.pb");
  CHECK(x.to_vector() == std::vector<float>{1.5f, -2.0f});
  std::ofstream(dir / "bad.pb", std::ios::binary) << "\xff\xff\xff";
  CHECK_THROWS_WITH_AS(io::load_onnx_tensor(dir / "bad.pb"), doctest::Contains("bad.pb"), std::runtime_error);
}

TEST_CASE("an imported model fine-tunes: fit lowers its loss") {
  Sequential small;
  small.add(Input({1, 6, 6}, "image"));
  small.add<Conv2D>(Conv2DOptions(3, 3).activation("relu"));
  small.add<Flatten>();
  small.add<Dense>(4, "softmax");
  Model model = io::load_onnx_bytes(io::onnx_bytes(small), "small.onnx");
  model.compile(std::make_shared<Adam>(0.01f), "sparse_categorical_crossentropy");
  Generator g(3);
  const Tensor x = onnx_models::uniform({32, 1, 6, 6}, g, 0.0f, 1.0f);
  std::vector<int64_t> labels;
  for (int i = 0; i < 32; ++i) labels.push_back(i % 4);
  const Tensor y = Tensor::from_vector({32}, labels);
  const float before = model.evaluate(x, y).at("loss");
  FitOptions fit;
  fit.epochs(20).batch_size(8).verbose(0);
  model.fit(x, y, fit);
  CHECK(model.evaluate(x, y).at("loss") < 0.8f * before);
}

TEST_CASE("the fuzz corpus's ONNX regressions are refused with the error each one is about") {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"regression-huge-declared-tensor.onnx", "dims [1099511627776, 2] make 2199023255552 elements, but the data holds 16 bytes"},
      {"regression-external-data.onnx", "tensor data in an external file is not read"},
      {"regression-growing-constant.onnx", "(Concat): the concatenated constant is too large"},
      {"regression-cast-out-of-range.onnx", "(Cast): 1e+30 is not an integer nn can use"}};
  for (const auto& [file, message] : cases) {
    CAPTURE(file);
    const std::string path = std::string(NN_FUZZ_CORPUS_DIR) + "/onnx/" + file;
    REQUIRE(std::filesystem::exists(path));
    CHECK_THROWS_WITH_AS(load_onnx(path), doctest::Contains(message.c_str()), std::runtime_error);
  }
}
