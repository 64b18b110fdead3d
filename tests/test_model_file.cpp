#include <doctest/doctest.h>

#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "io/atomic_file_hooks.hpp"
#include "model_craft.hpp"
#include "nn/vision/image.hpp"
#include "nn/vision/mnist_form.hpp"
#include "temp_dir.hpp"
#include "nn/io/model_file.hpp"
#include "nn/model/callbacks/simple.hpp"
#include "nn/nn.hpp"

extern char** environ;
using namespace nn;
namespace fs = std::filesystem;

using nn::test::TempDir;

namespace {
Sequential conv_model() {
  Sequential m("saved");
  m.add<Conv2D>(3, 3, "same", "relu");
  m.add<MaxPool2D>(2);
  m.add<Flatten>();
  m.add<Dropout>(0.25f, 7);
  m.add<Dense>(4, "softmax");
  m.build({1, 6, 6});
  return m;
}

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_all(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string load_error(const std::string& path) {
  try {
    load_model(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("save -> load gives identical predictions, compile settings and optimizer state") {
  TempDir dir;
  Generator g(1);
  Sequential m = conv_model();
  m.compile(std::make_shared<Adam>(0.01f), "sparse_categorical_crossentropy", {"accuracy"});
  std::vector<float> xs(8 * 36);
  for (auto& v : xs) v = g.uniform();
  Tensor x = Tensor::from_vector({8, 1, 6, 6}, xs);
  Tensor y = Tensor::from_vector({8}, {0, 1, 2, 3, 0, 1, 2, 3});
  m.train_on_batch(x, y);
  m.train_on_batch(x, y);
  save_model(m, dir / "m.nn");
  Sequential loaded = load_model(dir / "m.nn");
  CHECK(loaded.name() == "saved");
  CHECK(loaded.summary() == m.summary());
  CHECK(loaded.predict(x).to_vector() == m.predict(x).to_vector());
  REQUIRE(loaded.compiled());
  CHECK(loaded.optimizer().type() == "Adam");
  CHECK(loaded.optimizer().iterations() == 2);
  CHECK(loaded.optimizer().learning_rate() == 0.01f);
  CHECK(loaded.metric_names() == std::vector<std::string>{"accuracy"});
  CHECK(loaded.loss().label_smoothing() == 0.0f);
  // A step after loading matches the same step of the original (Adam's moments came along);
  // dropout is left off so the layers' random masks do not enter.
  Sequential m2 = load_model(dir / "m.nn");
  auto step_without_dropout = [&](Sequential& s) {
    s.optimizer().zero_grad();
    Variable logits = s(Variable(x), false);
    SparseCategoricalCrossentropy()(logits, y).backward();
    s.optimizer().step();
    return s.get_weights();
  };
  const auto w2 = step_without_dropout(m2), w1 = step_without_dropout(m);
  for (size_t i = 0; i < w2.size(); ++i) CHECK(w2[i].to_vector() == w1[i].to_vector());

}

TEST_CASE("a loss's label smoothing is saved and loaded") {
  TempDir dir;
  Sequential m = conv_model();
  m.compile(std::make_shared<Adam>(0.01f), SparseCategoricalCrossentropy(CrossentropyOptions().label_smoothing(0.1f)), {"accuracy"});
  save_model(m, dir / "smoothed.nn");
  const Sequential loaded = load_model(dir / "smoothed.nn");
  CHECK(loaded.loss().name() == "sparse_categorical_crossentropy");
  CHECK(loaded.loss().label_smoothing() == doctest::Approx(0.1f));
}

TEST_CASE("training resumed from a checkpoint continues as it would have") {
  TempDir dir;
  auto make = [] {
    manual_seed(11);
    Sequential m;
    m.add<Dense>(6, "tanh");
    m.add<Dropout>(0.3f);  // its generator's state travels with the checkpoint
    m.add<Dense>(3, "softmax");
    m.build({4});
    m.compile(std::make_shared<Adam>(0.02f), "sparse_categorical_crossentropy", {"accuracy"});
    return m;
  };
  Generator g(2);
  std::vector<float> xs(40 * 4), ys(40);
  for (auto& v : xs) v = g.normal();
  for (size_t i = 0; i < ys.size(); ++i) ys[i] = static_cast<float>(i % 3);
  Tensor x = Tensor::from_vector({40, 4}, xs), y = Tensor::from_vector({40}, ys);
  FitOptions o;
  o.batch_size(10);
  o.shuffle(false);
  o.verbose(0);
  o.epochs(4);
  Sequential straight = make();
  straight.fit(x, y, o);

  Sequential first = make();
  o.epochs(2);
  first.fit(x, y, o);
  save_model(first, dir / "ck.nn");
  Sequential resumed = load_model(dir / "ck.nn");
  o.epochs(4);
  o.initial_epoch(2);
  History h = resumed.fit(x, y, o);
  CHECK(h.epochs == std::vector<int>{2, 3});
  const auto a = straight.get_weights(), b = resumed.get_weights();
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i].to_vector() == b[i].to_vector());
  CHECK(resumed.optimizer().iterations() == 16);
}

TEST_CASE("corrupt, truncated, foreign and newer files are refused with the file named") {
  TempDir dir;
  Sequential m = conv_model();
  const std::string path = dir / "m.nn";
  save_model(m, path);
  const std::string good = read_all(path);

  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x40);
  write_all(dir / "flipped.nn", flipped);
  CHECK(load_error(dir / "flipped.nn").find("flipped.nn: corrupt") != std::string::npos);

  for (size_t keep : {size_t{5}, size_t{30}, good.size() / 2, good.size() - 1}) {
    write_all(dir / "short.nn", good.substr(0, keep));
    const std::string err = load_error(dir / "short.nn");
    CAPTURE(keep);
    CHECK(err.find("short.nn") != std::string::npos);
    CHECK((err.find("truncated") != std::string::npos || err.find("corrupt") != std::string::npos ||
           err.find("magic") != std::string::npos));
  }

  std::string newer = good;
  newer[8] = 9;  // format version 9
  write_all(dir / "newer.nn", newer);
  CHECK(load_error(dir / "newer.nn").find("version 9") != std::string::npos);

  write_all(dir / "text.nn", "hello, this is not a model");
  CHECK(load_error(dir / "text.nn").find("not an nn model file") != std::string::npos);
  CHECK(load_error(dir / "missing.nn").find("missing.nn: cannot open") != std::string::npos);
}

TEST_CASE("weights-only files load into the same architecture") {
  TempDir dir;
  Sequential a = conv_model(), b = conv_model();
  io::save_weights(a, dir / "w.nn");
  io::load_weights(b, dir / "w.nn");
  const auto wa = a.get_weights(), wb = b.get_weights();
  for (size_t i = 0; i < wa.size(); ++i) CHECK(wa[i].to_vector() == wb[i].to_vector());
  CHECK_THROWS_WITH_AS(load_model(dir / "w.nn"), doctest::Contains("only weights"), std::runtime_error);
  Sequential other;
  other.add<Dense>(2);
  other.build({3});
  CHECK_THROWS_AS(io::load_weights(other, dir / "w.nn"), std::runtime_error);
}

TEST_CASE("a save into a missing directory fails and writes nothing") {
  TempDir dir;
  Sequential m = conv_model();
  CHECK_THROWS_AS(save_model(m, dir / "no/such/dir/m.nn"), std::runtime_error);
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("a process killed while saving leaves the previous file intact, and its temp files are cleaned up") {
  TempDir dir;
  const std::string path = dir / "m.nn";
  // The child (this test binary, see main.cpp) saves models of growing size to `path` in a loop.
  std::string env_var = "NN_TEST_CHILD=save_loop", arg_var = "NN_TEST_ARG=" + path;
  std::vector<char*> envp;
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(env_var.data());
  envp.push_back(arg_var.data());
  envp.push_back(nullptr);
  char self[] = "/proc/self/exe";
  char* argv[] = {self, nullptr};
  for (int round = 0; round < 4; ++round) {
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv, envp.data()) == 0);
    // The first save can take long on a loaded machine under a sanitizer: wait up to a minute.
    for (int i = 0; i < 12000 && !fs::exists(path); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 17 * round));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(fs::exists(path));
    Sequential loaded = load_model(path);  // must be complete and valid
    CHECK(loaded.layers().size() == 2);
  }
  // A later save removes whatever temporary files the killed saves left behind. (One within 30 s
  // of their creation leaves them: a live save may be about to lock its new file. Age them.)
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().filename().string().rfind(".m.nn.tmp-", 0) == 0)
      fs::last_write_time(e.path(), fs::file_time_type::clock::now() - std::chrono::hours(1));
  save_model(conv_model(), path);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path)) left.push_back(e.path().filename().string());
  CHECK(left == std::vector<std::string>{"m.nn"});
}

TEST_CASE("a save never writes through a planted symlink") {
  TempDir dir;
  const std::string victim = dir / "victim.txt";
  write_all(victim, "precious");
  SUBCASE("planted before the save: the clean-up removes the link, never its target") {
    const std::string link = dir / (".m.nn.tmp-" + std::to_string(::getpid()) + "-00000000000000aa");
    fs::create_symlink(victim, link);
    save_model(conv_model(), dir / "m.nn");
    CHECK_FALSE(fs::is_symlink(link));
  }
  SUBCASE("planted at the very name the save then opens (after its clean-up)") {
    // The suffix source plants a link at each name it hands out: the first two tries meet one
    // (O_EXCL | O_NOFOLLOW must refuse both), the third name is free.
    int tries = 0;
    std::vector<std::string> planted;
    io::detail::set_temp_suffix_source([&]() -> uint64_t {
      const uint64_t suffix = 0x1000 + static_cast<uint64_t>(tries);
      if (tries++ < 2) {
        planted.push_back(dir / fmt::format(".m.nn.tmp-{}-{:016x}", ::getpid(), suffix));
        fs::create_symlink(victim, planted.back());
      }
      return suffix;
    });
    try {
      save_model(conv_model(), dir / "m.nn");
    } catch (...) {
      io::detail::set_temp_suffix_source(nullptr);
      throw;
    }
    io::detail::set_temp_suffix_source(nullptr);
    CHECK(tries == 3);
    for (const auto& p : planted) CHECK(fs::is_symlink(p));  // refused, not followed or replaced
  }
  CHECK(read_all(victim) == "precious");
  CHECK(load_model(dir / "m.nn").layers().size() == 5);
}

TEST_CASE("stale temporary files of dead saves are removed - live and new ones are left alone") {
  // A save holds an flock on its temporary file; the kernel drops it when the process dies.
  TempDir dir;
  const std::string stale = dir / ".m.nn.tmp-12345-00000000deadbeef";  // nobody holds it, an hour old
  const std::string live = dir / ".m.nn.tmp-1-00000000cafef00d";       // held, an hour old
  const std::string fresh = dir / ".m.nn.tmp-1-00000000feedf00d";      // just made: maybe about to be locked
  const std::string other = dir / ".other.nn.tmp-12345-0";             // another target's
  for (const auto& f : {stale, live, fresh, other}) write_all(f, "x");
  const auto hour_ago = fs::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& f : {stale, live, other}) fs::last_write_time(f, hour_ago);
  const int held = ::open(live.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX) == 0);
  save_model(conv_model(), dir / "m.nn");
  ::close(held);
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live));
  CHECK(fs::exists(fresh));
  CHECK(fs::exists(other));  // another target's temporary files are not this save's business
  // Once its writer is gone, the held one is stale too.
  save_model(conv_model(), dir / "m.nn");
  CHECK_FALSE(fs::exists(live));
}

TEST_CASE("average pooling layers are saved and rebuilt from their configs") {
  TempDir dir;
  Sequential m("pools");
  m.add<Conv2D>(4, 3, "same", "relu");
  m.add<AveragePooling2D>(AveragePooling2DOptions(2).strides(1).padding("same"));
  m.add<GlobalAveragePooling2D>();
  m.add<Dense>(3, "softmax");
  m.build({1, 5, 5});
  save_model(m, dir / "pools.nn");
  Sequential loaded = load_model(dir / "pools.nn");
  CHECK(loaded.summary() == m.summary());
  const Tensor x = Tensor::ones({2, 1, 5, 5});
  CHECK(loaded.predict(x).to_vector() == m.predict(x).to_vector());
}

TEST_CASE("batch normalization's moving statistics are saved, loaded and used for prediction") {
  TempDir dir;
  Sequential m("normed");
  m.add<Conv2D>(Conv2DOptions(4, 3).padding("same").use_bias(false));
  m.add<BatchNormalization>(BatchNormalizationOptions().momentum(0.5f));
  m.add<ReLU>();
  m.add<Flatten>();
  m.add<Dense>(3, "softmax");
  m.build({1, 5, 5});
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  Generator g(3);
  std::vector<float> xs(6 * 25);
  for (auto& v : xs) v = g.uniform(0.0f, 2.0f);
  const Tensor x = Tensor::from_vector({6, 1, 5, 5}, xs);
  const Tensor y = Tensor::from_vector({6}, {0, 1, 2, 0, 1, 2});
  for (int i = 0; i < 3; ++i) m.train_on_batch(x, y);
  const auto* bn = dynamic_cast<const BatchNormalization*>(m.layers()[1].get());
  REQUIRE(bn);
  // Training moved the statistics off their initial zeros and ones.
  CHECK(bn->moving_mean().to_vector() != std::vector<float>(4, 0.0f));
  save_model(m, dir / "bn.nn");
  Sequential loaded = load_model(dir / "bn.nn");
  const auto* lbn = dynamic_cast<const BatchNormalization*>(loaded.layers()[1].get());
  REQUIRE(lbn);
  CHECK(lbn->moving_mean().to_vector() == bn->moving_mean().to_vector());
  CHECK(lbn->moving_variance().to_vector() == bn->moving_variance().to_vector());
  CHECK(loaded.summary() == m.summary());
  CHECK(loaded.predict(x).to_vector() == m.predict(x).to_vector());
  // The optimizer never touches them: a step whose forward pass runs in inference mode (so it
  // does not move the statistics) changes gamma but leaves the statistics as they were.
  const auto gamma_before = lbn->gamma().value().to_vector();
  const auto mean_before = lbn->moving_mean().to_vector(), var_before = lbn->moving_variance().to_vector();
  loaded.optimizer().zero_grad();
  SparseCategoricalCrossentropy()(loaded(Variable(x), false), y).backward();
  loaded.optimizer().step();
  CHECK(lbn->gamma().value().to_vector() != gamma_before);
  CHECK(lbn->moving_mean().to_vector() == mean_before);
  CHECK(lbn->moving_variance().to_vector() == var_before);
}

TEST_CASE("a model file of format version 1 (before dtypes) still loads and predicts exactly as it did") {
  // tests/fixtures: a softmax-regression model saved by nn before model files recorded dtypes,
  // and the predictions `mnist predict --json` of that nn made with it for examples/digits.
  const std::string root = NN_SOURCE_DIR;
  const std::string fixture = root + "/tests/fixtures/model_v1_softmax.nn";
  {
    std::ifstream in(fixture, std::ios::binary);
    char head[12] = {};
    in.read(head, 12);
    REQUIRE(head[8] == 1);  // version 1 indeed
  }
  Sequential m = load_model(fixture);
  std::ifstream lines(root + "/tests/fixtures/model_v1_softmax.predictions.jsonl");
  int checked = 0;
  for (std::string line; std::getline(lines, line);) {
    const auto expected = nlohmann::json::parse(line);
    const std::string file = root + "/" + expected["file"].get<std::string>();
    CAPTURE(file);
    const Tensor x = vision::to_mnist(vision::read_image(file)).reshape({1, 1, 28, 28});
    const std::vector<float> p = m.predict(x).to_vector();
    for (const auto& score : expected["scores"]) {
      const int label = std::stoi(score[0].get<std::string>());
      CHECK(p[static_cast<size_t>(label)] == doctest::Approx(score[1].get<double>()).epsilon(1e-6));
    }
    ++checked;
  }
  CHECK(checked == 12);
}

TEST_CASE("tensors are saved with their dtype, and weights stored in float16 load converted") {
  TempDir dir;
  manual_seed(3);
  Sequential m;
  m.add(Input({4}));
  m.add<Dense>(3, "softmax");
  m.compile("sgd", "sparse_categorical_crossentropy");
  save_model(m, dir / "m.nn");
  std::ifstream in(dir / "m.nn", std::ios::binary);
  const std::string file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK(file[8] == 2);  // format version 2
  auto parts = nn::test::split_model(file);
  for (const auto& t : parts.header["tensors"]) CHECK(t["dtype"] == "float32");
  // The kernel rewritten as float16 (its values rounded): the model loads it into float32.
  const Tensor kernel = m.layers()[0]->parameters()[0].value();
  const Tensor half = kernel.to(kFloat16);
  auto& entry = parts.header["tensors"][0];
  REQUIRE(entry["name"] == "dense/kernel");
  entry["dtype"] = "float16";
  const auto offset = entry["offset"].get<size_t>();
  std::string data = parts.data;
  std::memcpy(data.data() + offset, half.raw_data(), half.nbytes());
  std::ofstream(dir / "half.nn", std::ios::binary) << nn::test::assemble_model(parts.header.dump(), data, 2);
  const Sequential loaded = load_model(dir / "half.nn");
  CHECK(loaded.layers()[0]->parameters()[0].value().dtype() == kFloat32);
  CHECK(loaded.layers()[0]->parameters()[0].value().to_vector() == half.to(kFloat32).to_vector());
  // An integer weight, an unknown dtype and a version 2 entry without one are refused.
  entry["dtype"] = "int32";
  std::ofstream(dir / "int.nn", std::ios::binary) << nn::test::assemble_model(parts.header.dump(), data, 2);
  CHECK_THROWS_WITH_AS(load_model(dir / "int.nn"),
                       doctest::Contains("tensor 0 ('dense/kernel') is int32: weights and optimizer state are floating point"),
                       std::runtime_error);
  entry["dtype"] = "float64";
  std::ofstream(dir / "f64.nn", std::ios::binary) << nn::test::assemble_model(parts.header.dump(), data, 2);
  CHECK_THROWS_WITH_AS(load_model(dir / "f64.nn"), doctest::Contains("field 'tensors[0].dtype': unknown dtype 'float64'"),
                       std::runtime_error);
  entry.erase("dtype");
  std::ofstream(dir / "none.nn", std::ios::binary) << nn::test::assemble_model(parts.header.dump(), data, 2);
  CHECK_THROWS_WITH_AS(load_model(dir / "none.nn"), doctest::Contains("field 'tensors[0].dtype' is missing"),
                       std::runtime_error);
}
