// Model files made to pass the checksum but lie in their header: each is refused with an error
// naming the file and the field, before anything is allocated for it.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "child.hpp"
#include "io/model_reader.hpp"
#include "model_craft.hpp"
#include "model_file_input.hpp"
#include "nn/io/model_file.hpp"
#include "nn/nn.hpp"
#include "skip.hpp"
#include "temp_dir.hpp"
#include "util/input_file.hpp"

using namespace nn;
using nn::test::ModelParts;
using nn::test::TempDir;
using json = nlohmann::json;

namespace {

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_all(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// A small compiled conv model with Adam state, saved: the base every case mutates.
ModelParts saved_conv_model(const TempDir& dir) {
  Sequential m("saved");
  m.add<Conv2D>(2, 3, "same", "relu");
  m.add<MaxPool2D>(2);
  m.add<Flatten>();
  m.add<Dense>(3, "softmax");
  m.build({1, 4, 4});
  m.compile(std::make_shared<Adam>(0.01f), "sparse_categorical_crossentropy", {"accuracy"});
  m.train_on_batch(Tensor::ones({2, 1, 4, 4}), Tensor::from_vector({2}, {0, 2}));
  save_model(m, dir / "base.nn");
  return nn::test::split_model(read_all(dir / "base.nn"));
}

// Loads `parts` from a file and returns the error message ("" if it loaded).
std::string load_error(const TempDir& dir, const ModelParts& parts) {
  const std::string path = dir / "crafted.nn";
  write_all(path, nn::test::assemble_model(parts));
  try {
    load_model(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

void check_refused(const TempDir& dir, const ModelParts& parts, const std::string& field,
                   const std::string& fragment) {
  const std::string err = load_error(dir, parts);
  INFO("error: ", err);
  CHECK(err.rfind(dir / "crafted.nn", 0) == 0);  // names the file first
  CHECK(err.find(field) != std::string::npos);
  CHECK(err.find(fragment) != std::string::npos);
}

size_t tensor_index(const json& h, const std::string& name) {
  for (size_t i = 0; i < h["tensors"].size(); ++i)
    if (h["tensors"][i]["name"] == name) return i;
  FAIL("no tensor ", name);
  return 0;
}

}  // namespace

TEST_CASE("the base file loads, and a re-assembled copy of it too") {
  TempDir dir;
  const ModelParts base = saved_conv_model(dir);
  CHECK(load_error(dir, base).empty());
}

TEST_CASE("sizes that overflow 64 bits are refused (the im2col heap overflow)") {
  TempDir dir;
  ModelParts p = saved_conv_model(dir);
  SUBCASE("a Conv2D kernel of 2^31 x 2^31") {
    p.header["model"]["layers"][0]["config"]["kernel_size"] = {int64_t{1} << 31, int64_t{1} << 31};
    check_refused(dir, p, "model.layers[0]", "kernel height must be in [1, 2147483647]");
  }
  SUBCASE("a Conv2D whose kernel volume wraps around") {
    p.header["model"]["layers"][0]["config"]["filters"] = 2147483647;
    p.header["model"]["layers"][0]["config"]["kernel_size"] = {2147483647, 2147483647};
    check_refused(dir, p, "model.layers", "too large");
  }
  SUBCASE("a Dense of 2^62 units") {
    p.header["model"]["layers"][3]["config"]["units"] = int64_t{1} << 62;
    check_refused(dir, p, "model.layers[3]", "units must be in [1, 2147483647]");
  }
  SUBCASE("an input shape whose product wraps around") {
    p.header["model"]["input_shape"] = {2147483647, 2147483647, 2147483647};
    check_refused(dir, p, "model.layers", "too large");
  }
  SUBCASE("a tensor shape whose product wraps around") {
    p.header["tensors"][0]["shape"] = {2147483647, 2147483647, 2147483647};
    check_refused(dir, p, "tensors[0].shape", "too many elements");
  }
}

TEST_CASE("numbers are range-checked before they become integers") {
  TempDir dir;
  ModelParts p = saved_conv_model(dir);
  SUBCASE("an unsigned integer beyond int64") {
    p.header["model"]["layers"][3]["config"]["units"] = uint64_t{18446744073709551615ull};
    check_refused(dir, p, "model.layers[3].config.units", "64-bit range");
  }
  SUBCASE("a float where an integer belongs") {
    p.header["tensors"][0]["offset"] = 1e300;
    check_refused(dir, p, "tensors[0].offset", "expected an integer");
  }
  SUBCASE("a negative extent") {
    p.header["tensors"][0]["shape"] = {-1, 3};
    check_refused(dir, p, "tensors[0].shape[0]", "must be an integer in [0, 2147483647]");
  }
  SUBCASE("negative iterations") {
    p.header["compile"]["optimizer_state"]["iterations"] = -5;
    check_refused(dir, p, "compile.optimizer_state.iterations", "must be an integer in [0,");
  }
  SUBCASE("a negative weight decay") {
    p.header["compile"]["optimizer"]["config"]["weight_decay"] = -1.0;
    check_refused(dir, p, "compile.optimizer", "weight_decay must be >= 0");
  }
  SUBCASE("a learning rate of infinity") {
    p.header["compile"]["optimizer_state"]["learning_rate"] = 1e300;
    check_refused(dir, p, "compile.optimizer_state.learning_rate", "must be a number");
  }
}

TEST_CASE("the tensor table is checked against itself and the file") {
  TempDir dir;
  ModelParts p = saved_conv_model(dir);
  json& t = p.header["tensors"];
  SUBCASE("overlapping tensors") {
    t[1]["offset"] = t[0]["offset"];
    check_refused(dir, p, "tensors", "overlap");
  }
  SUBCASE("an unaligned offset") {
    t[1]["offset"] = t[1]["offset"].get<int64_t>() + 2;
    check_refused(dir, p, "tensors[1].offset", "not a multiple of 4");
  }
  SUBCASE("a tensor past the end of the data") {
    t[0]["offset"] = p.data.size();
    check_refused(dir, p, "tensors[0]", "outside the data section");
  }
  SUBCASE("a weight that points at optimizer state") {
    p.header["weights"][0]["tensor"] = tensor_index(p.header, "optimizer/m/0");
    check_refused(dir, p, "weights[0].tensor", "is 'optimizer/m/0', expected 'conv2d");
  }
  SUBCASE("two weights sharing one tensor") {
    p.header["weights"][1]["tensor"] = p.header["weights"][0]["tensor"];
    check_refused(dir, p, "weights[1].tensor", "already used");
  }
  SUBCASE("a tensor index out of range") {
    p.header["compile"]["optimizer_state"]["slots"]["v"][0] = 1000;
    check_refused(dir, p, "compile.optimizer_state.slots.v[0]", "must be an integer in [0,");
  }
  SUBCASE("a weight the architecture does not have") {
    p.header["weights"].push_back(p.header["weights"][0]);
    check_refused(dir, p, "weights", "the file holds 5 weights, its architecture has 4");
  }
  SUBCASE("a layer bigger than its stored weights (no allocation for the lie)") {
    p.header["model"]["layers"][3]["config"]["units"] = 1000000;
    check_refused(dir, p, "weights[2].tensor", "has shape (8, 3), expected (8, 1000000)");
  }
}

TEST_CASE("inconsistent compile settings are refused") {
  TempDir dir;
  ModelParts p = saved_conv_model(dir);
  SUBCASE("from_logits on a model that ends in a softmax") {
    p.header["compile"]["loss"]["from_logits"] = true;
    check_refused(dir, p, "compile.loss.from_logits", "ends in a softmax");
  }
  SUBCASE("label smoothing out of range") {
    p.header["compile"]["loss"]["label_smoothing"] = 1.5;
    check_refused(dir, p, "compile.loss.label_smoothing", "in [0, 0.999]");
  }
  SUBCASE("an unknown metric") {
    p.header["compile"]["metrics"] = {"top_k"};
    check_refused(dir, p, "compile.metrics[0]", "unknown metric 'top_k'");
  }
  SUBCASE("slots that do not belong to the optimizer") {
    p.header["compile"]["optimizer_state"]["slots"]["momentum"] =
        p.header["compile"]["optimizer_state"]["slots"]["m"];
    check_refused(dir, p, "compile.optimizer_state.slots", "Adam keeps the slots [m, v]");
  }
  SUBCASE("an unknown layer type") {
    p.header["model"]["layers"][1]["type"] = "Teleport";
    check_refused(dir, p, "model.layers[1]", "unknown layer type 'Teleport'");
  }
  SUBCASE("a header that is not an object") {
    const std::string path = dir / "crafted.nn";
    write_all(path, nn::test::assemble_model("[1, 2, 3]", p.data));
    CHECK_THROWS_WITH_AS(load_model(path), doctest::Contains("not a JSON object"), std::runtime_error);
  }
}

TEST_CASE("files that are not models are refused from their first bytes") {
  TempDir dir;
  CHECK_THROWS_WITH_AS(load_model(dir.path.string()), doctest::Contains("is a directory, not a regular file"),
                       std::runtime_error);
  const std::string fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(load_model(fifo), doctest::Contains("is a FIFO"), std::runtime_error);
  // A header length that claims more than the file holds.
  std::string lie = nn::test::assemble_model("{}", "");
  lie[12] = '\x7f';
  write_all(dir / "lie.nn", lie);
  CHECK_THROWS_WITH_AS(load_model(dir / "lie.nn"), doctest::Contains("header runs past the end"),
                       std::runtime_error);
}

TEST_CASE("nothing is allocated for what a file claims before it is checked (1 GiB address-space limit)") {
  if (!nn::test::kCanLimitMemory)
    NN_SKIP("this build uses AddressSanitizer, which cannot run under an address-space limit");
  TempDir dir;
  SUBCASE("a 3 GB file that is not a model is judged by its first bytes") {
    const std::string path = dir / "big.bin";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, int64_t{3} << 30) == 0);  // sparse: costs no disk
    ::close(fd);
    const auto r = nn::test::run_child("load_model", path, size_t{1} << 30);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("not an nn model file") != std::string::npos);
  }
  // The base model with one lie, loaded by a child (`mode`) under the limit: it must fail with
  // a message holding `expected`, not run out of memory.
  auto refused_under_limit = [&](const std::function<void(json&)>& lie,
                                 const std::vector<std::string>& expected,
                                 const std::string& mode = "load_model") {
    ModelParts p = saved_conv_model(dir);
    lie(p.header);
    write_all(dir / "crafted.nn", nn::test::assemble_model(p));
    const auto r = nn::test::run_child(mode, dir / "crafted.nn", size_t{1} << 30);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    for (const auto& fragment : expected) CHECK(r.output.find(fragment) != std::string::npos);
  };
  SUBCASE("a Dense layer of 10^9 units with a small stored kernel") {
    refused_under_limit([](json& h) { h["model"]["layers"][3]["config"]["units"] = 1000000000; },
                        {"expected (8, 1000000000)"});
  }
  SUBCASE("a first layer that declares an input of 10^10 pixels, unlike the model's") {
    refused_under_limit(
        [](json& h) {
          h["model"]["layers"][0]["config"]["input_shape"] = {1, 100000, 100000};
        },
        {"field 'model.layers[0]'", "declares input shape (1, 100000, 100000) but receives (1, 4, 4)"});
  }
  SUBCASE("a first layer that declares an input of 10^10 pixels, the model none") {
    refused_under_limit(
        [](json& h) {
          h["model"]["input_shape"] = nullptr;
          h["model"]["layers"][0]["config"]["input_shape"] = {1, 100000, 100000};
        },
        {"expected (5000000000, 3)"});
  }
  SUBCASE("load_weights into an unbuilt model, for a file's input of 10^10 pixels") {
    refused_under_limit(
        [](json& h) {
          h["model"]["input_shape"] = {1, 100000, 100000};
        },
        {"expected (5000000000, 3)"}, "load_weights_conv");
  }
}

TEST_CASE("a Reshape whose target shape overflows is refused") {
  TempDir dir;
  Sequential m("reshaped");
  m.add<Reshape>(Shape{16});
  m.add<Dense>(2);
  m.build({4, 4});
  save_model(m, dir / "base.nn");
  ModelParts p = nn::test::split_model(read_all(dir / "base.nn"));
  p.header["model"]["layers"][0]["config"]["target_shape"] = {2147483647, 2147483647, 2147483647, -1};
  check_refused(dir, p, "model.layers", "too many elements");
}

TEST_CASE("every committed model-file fuzz regression gets the outcome it was committed for") {
  // The fuzz target only checks that nothing crashes; this names what each input must do: be
  // refused with the error that fixed it, or (an empty expectation) load and predict. A new
  // regression file needs a line here.
  const std::map<std::string, std::string> expected = {
      {"regression-conv-kernel-2p31.nn", "kernel height must be in [1, 2147483647], got 2147483648"},
      {"regression-conv-kernel-wraps.nn", "conv2d kernel: 2147483647 x 2147483647 is too large"},
      {"regression-dense-1e6-units.nn",
       "field 'weights[3].tensor': tensor 3 ('dense_4/kernel') has shape (8, 2), expected (8, 1000000)"},
      {"regression-dense-2p62-units.nn", "units must be in [1, 2147483647], got 4611686018427387904"},
      {"regression-float-offset.nn", "field 'tensors[0].offset': expected an integer, found number"},
      {"regression-from-logits-on-softmax.nn",
       "field 'compile.loss.from_logits': the model ends in a softmax"},
      {"regression-header-length.nn", "header runs past the end of the file"},
      {"regression-header-not-object.nn", "malformed header: not a JSON object"},
      {"regression-input-shape-huge.nn", "conv2d output: 1073741824 x 1073741824 is too large"},
      {"regression-input-shape-wraps.nn", "conv2d output: 2147483647 x 2147483647 is too large"},
      {"regression-layer-input-shape-huge.nn",
       "declares input shape (1, 32768, 32768) but receives (1, 6, 6)"},
      {"regression-layer-input-shape-only.nn", "has shape (8, 2), expected (268451838, 2)"},
      {"regression-negative-extent.nn",
       "field 'tensors[0].shape[0]': must be an integer in [0, 2147483647], got -1"},
      {"regression-negative-iterations.nn",
       "field 'compile.optimizer_state.iterations': must be an integer in [0, 9007199254740992], got -1"},
      {"regression-negative-weight-decay.nn", "field 'compile.optimizer': Adam: weight_decay must be >= 0"},
      {"regression-no-metrics.nn", ""},
      {"regression-padding-huge.nn",
       "padding '9223372036854775807,1': expected 'valid', 'same', 'P' or 'PH,PW'"},
      // Found for its pool size; its header also repeats a key, which is now refused first.
      {"regression-pool-size-out-of-range.nn", "header refused: duplicate key 'offset' in tensors[0]"},
      {"regression-reshape-target-wraps.nn",
       "cannot reshape inputs of shape (2, 2) to (2147483647, 2147483647, 2147483647, None): too many "
       "elements"},
      {"regression-stride-huge.nn", "stride height must be in [1, 2147483647], got 9223372036854775807"},
      {"regression-tensor-unaligned.nn", "field 'tensors[1].offset': is not a multiple of 4"},
      {"regression-tensors-overlap.nn", "field 'tensors': tensors 'conv2d/kernel' and 'conv2d/bias' overlap"},
      {"regression-unsigned-beyond-int64.nn",
       "field 'model.layers[5].config.units': integer out of the 64-bit range"},
      {"regression-weight-is-optimizer-state.nn",
       "field 'weights[0].tensor': tensor 14 is 'optimizer/v/4', expected 'conv2d/kernel'"},
  };
  const std::filesystem::path dir = NN_FUZZ_CORPUS_DIR "/model_file";
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("regression-", 0) != 0) continue;
    seen.insert(name);
    CAPTURE(name);
    const auto want = expected.find(name);
    REQUIRE_MESSAGE(want != expected.end(), "no expected outcome for this regression file");
    const std::string file = nn::fuzz::model_file_from_input(read_all(entry.path().string()));
    std::string error;
    try {
      Sequential m = io::detail::read_model(nn::detail::MemorySource(file, name));
      Shape batch{1};
      batch.insert(batch.end(), m.input_shape().begin(), m.input_shape().end());
      const Tensor y = m.predict(Tensor::zeros(batch));
      CHECK(y.dim(0) == 1);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (want->second.empty())
      CHECK_MESSAGE(error.empty(), "refused: " << error);
    else
      CHECK_MESSAGE((error.rfind(name + ": ", 0) == 0 && error.find(want->second) != std::string::npos),
                    "error '" << error << "' does not name the file and '" << want->second << "'");
  }
  CHECK(seen.size() == expected.size());  // no entry for a file that is gone
}

TEST_CASE("weights that are NaN or infinite are refused, naming the tensor, unless allowed") {
  TempDir dir;
  for (const float bad : {NAN, INFINITY, -INFINITY}) {
    CAPTURE(bad);
    ModelParts p = saved_conv_model(dir);
    // The last element of the Dense layer's bias (the last weight): the whole tensor is checked.
    const json entry = p.header["tensors"][p.header["weights"].back()["tensor"].get<size_t>()];
    size_t count = 1;
    for (const auto& d : entry["shape"]) count *= d.get<size_t>();
    const size_t at = entry["offset"].get<size_t>() + 4 * count - 4;
    std::memcpy(&p.data[at], &bad, 4);
    const std::string name = entry["name"];
    const std::string err = load_error(dir, p);
    INFO("error: ", err);
    CHECK(err.rfind(dir / "crafted.nn", 0) == 0);
    CHECK(err.find("tensor '" + name + "' holds " + (std::isnan(bad) ? "NaN" : bad > 0 ? "+inf" : "-inf")) !=
          std::string::npos);
    // A model loading the refused weights keeps its own: the bad tensor is the last, and not even
    // the weights before it are overwritten.
    Sequential target = load_model(dir / "base.nn");
    for (Variable& w : target.parameters()) w.value().fill(0.5f);
    CHECK_THROWS_WITH_AS(io::load_weights(target, dir / "crafted.nn"), doctest::Contains("holds"),
                         std::runtime_error);
    for (const Variable& w : target.parameters())
      for (float v : w.value().to_vector()) REQUIRE(v == 0.5f);
    // For debugging a run that diverged, it loads, holding the value as stored.
    Sequential loaded = load_model(dir / "crafted.nn", io::LoadOptions().allow_non_finite(true));
    const float got = loaded.parameters().back().value().to_vector().back();
    CHECK((std::isnan(bad) ? std::isnan(got) : got == bad));
  }
}

TEST_CASE("the header: duplicate keys, deep nesting and too many layers are refused, unknown keys skipped") {
  TempDir dir;
  const ModelParts base = saved_conv_model(dir);
  const std::string text = base.header.dump();
  auto refused = [&](const std::string& header_text) {
    const std::string path = dir / "crafted.nn";
    write_all(path, nn::test::assemble_model(header_text, base.data));
    try {
      load_model(path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // The last of two "activation" keys would win: linear instead of relu, silently.
  std::string twice = text;
  const std::string relu = "\"activation\":\"relu\"";
  REQUIRE(twice.find(relu) != std::string::npos);
  twice.replace(twice.find(relu), relu.size(), relu + ",\"activation\":\"linear\"");
  CHECK(refused(twice).find("duplicate key 'activation' in model.layers[0].config") != std::string::npos);
  // Nesting deeper than 32, under a key this reader does not know.
  const std::string deep = text.substr(0, text.size() - 1) + ",\"zzz\":" + std::string(40, '[') + std::string(40, ']') + "}";
  CHECK(refused(deep).find("nests deeper than 32 levels") != std::string::npos);
  // More layers than the limit: refused while parsing (before any layer is made).
  ModelParts many = base;
  json layers = json::array();
  for (int i = 0; i <= 100'000; ++i) layers.push_back({{"type", "Flatten"}, {"config", {{"name", "f" + std::to_string(i)}}}});
  many.header["model"]["layers"] = layers;
  CHECK(refused(many.header.dump()).find("more than 100000 layers in model.layers") != std::string::npos);
  // An unknown top-level key (a newer writer's) is read past, whatever it holds.
  ModelParts future = base;
  future.header["future"] = {{"values", std::vector<int>(100'000, 7)}, {"nested", {{"a", {1, 2, 3}}}}};
  CHECK(refused(future.header.dump()).empty());
}

TEST_CASE("text from a model file reaches an error message cut short and escaped") {
  TempDir dir;
  const ModelParts base = saved_conv_model(dir);
  // A layer type holding a terminal escape sequence and a NUL (which would end a C string).
  ModelParts evil = base;
  evil.header["model"]["layers"][1]["type"] = std::string("\x1b[31mEVIL\x1b[0m\0tail", 19);
  std::string err = load_error(dir, evil);
  INFO(err);
  CHECK(err.find("\\x1B[31mEVIL\\x1B[0m\\x00tail") != std::string::npos);
  CHECK(err.find('\x1b') == std::string::npos);
  CHECK(err.find('\0') == std::string::npos);
  // A config key of a megabyte: the message stays short, and still says what is wrong.
  ModelParts big = base;
  big.header["model"]["layers"][0]["config"][std::string(1 << 20, 'k')] = 1;
  err = load_error(dir, big);
  CHECK(err.size() < 2048);
  CHECK(err.find("bytes in all") != std::string::npos);
  CHECK(err.rfind(dir / "crafted.nn", 0) == 0);
}
