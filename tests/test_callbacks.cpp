#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "nn/io/event_writer.hpp"
#include "temp_dir.hpp"
#include "nn/io/model_file.hpp"
#include "nn/model/callbacks/csv_logger.hpp"
#include "nn/model/callbacks/early_stopping.hpp"
#include "nn/model/callbacks/model_checkpoint.hpp"
#include "nn/model/callbacks/reduce_lr_on_plateau.hpp"
#include "nn/model/callbacks/simple.hpp"
#include "nn/model/callbacks/tensorboard.hpp"
#include "nn/model/sequential.hpp"
#include "nn/nn.hpp"

using namespace nn;
namespace fs = std::filesystem;

namespace {
struct Fixture {
  Tensor x, y;
  Sequential model;
  test::TempDir tmp{"nn_callbacks"};
  fs::path dir = tmp.path;
  Fixture() {
    Generator g(9);
    std::vector<float> xs(64), ys(32);
    for (size_t i = 0; i < 32; ++i) {
      ys[i] = static_cast<float>(i % 2);
      xs[2 * i] = ys[i] * 2 - 1 + 0.3f * g.normal();
      xs[2 * i + 1] = g.normal();
    }
    x = Tensor::from_vector({32, 2}, xs);
    y = Tensor::from_vector({32}, ys);
    model.add<Dense>(4, "tanh");
    model.add<Dense>(2, "softmax");
    model.build({2});
    model.compile(std::make_shared<SGD>(0.1f), "sparse_categorical_crossentropy", {"accuracy"});
  }

  // A callback that overwrites the epoch's "val_loss" with scripted values, placed first.
  CallbackPtr script(std::vector<double> values) {
    auto cb = std::make_shared<LambdaCallback>(LambdaCallbackOptions().on_epoch_end(
        [values](int epoch, Logs& logs) { logs["val_loss"] = values.at(static_cast<size_t>(epoch)); }));
    return cb;
  }
  FitOptions options(int epochs, std::vector<CallbackPtr> callbacks) {
    FitOptions o;
    o.epochs(epochs);
    o.batch_size(8);
    o.shuffle(false);
    o.verbose(0);
    o.callbacks(std::move(callbacks));
    return o;
  }
};
}  // namespace

TEST_CASE("ReduceLROnPlateau lowers the rate after `patience` epochs without improvement") {
  Fixture f;
  ReduceLROnPlateauOptions o;
  o.factor(0.5);
  o.patience(2);
  o.cooldown(1);
  // best 1.0, 0.9 (improves), then 0.95, 0.97 -> reduce at the end of epoch 3;
  // epoch 4 is cooldown; 0.99, 0.99 -> reduce again at the end of epoch 6.
  auto h = f.model.fit(f.x, f.y, f.options(8, {f.script({1.0, 0.9, 0.95, 0.97, 0.99, 0.99, 0.99, 0.99}),
                                               std::make_shared<ReduceLROnPlateau>(o)}));
  const auto& lr = h.history["learning_rate"];
  REQUIRE(lr.size() == 8);
  for (int e = 0; e <= 3; ++e) CHECK(lr[e] == doctest::Approx(0.1));
  CHECK(lr[4] == doctest::Approx(0.05));
  CHECK(lr[5] == doctest::Approx(0.05));
  CHECK(lr[6] == doctest::Approx(0.05));
  CHECK(lr[7] == doctest::Approx(0.025));
  CHECK(f.model.optimizer().learning_rate() == doctest::Approx(0.025));
}

TEST_CASE("EarlyStopping stops after patience and restores the best weights") {
  Fixture f;
  std::vector<std::vector<Tensor>> weights_at;
  auto record = std::make_shared<LambdaCallback>(
      LambdaCallbackOptions().on_epoch_end([&](int, Logs&) { weights_at.push_back(f.model.get_weights()); }));
  EarlyStoppingOptions o;
  o.patience(2);
  o.restore_best_weights(true);
  auto es = std::make_shared<EarlyStopping>(o);
  auto h = f.model.fit(f.x, f.y, f.options(10, {f.script({1.0, 0.5, 0.7, 0.8, 0.9, 0.4, 0.3, 0.2, 0.1, 0.05}), record, es}));
  CHECK(h.epochs.size() == 4);  // epochs 0..3, stopped at 3
  CHECK(es->stopped_epoch() == 3);
  CHECK(es->best_epoch() == 1);
  const auto now = f.model.get_weights();
  REQUIRE(weights_at.size() == 4);
  for (size_t i = 0; i < now.size(); ++i) CHECK(now[i].to_vector() == weights_at[1][i].to_vector());
  CHECK(now[0].to_vector() != weights_at[3][0].to_vector());
}

TEST_CASE("ModelCheckpoint with save_best_only writes only on improvement") {
  Fixture f;
  ModelCheckpointOptions o;
  o.save_best_only(true);
  const std::string pattern = (f.dir / "ck-{epoch:02d}-{val_loss:.2f}.nn").string();
  std::vector<std::vector<Tensor>> weights_at;
  auto record = std::make_shared<LambdaCallback>(
      LambdaCallbackOptions().on_epoch_end([&](int, Logs&) { weights_at.push_back(f.model.get_weights()); }));
  f.model.fit(f.x, f.y, f.options(4, {f.script({1.0, 1.2, 0.8, 0.9}), record, std::make_shared<ModelCheckpoint>(pattern, o)}));
  CHECK(fs::exists(f.dir / "ck-01-1.00.nn"));
  CHECK_FALSE(fs::exists(f.dir / "ck-02-1.20.nn"));
  CHECK(fs::exists(f.dir / "ck-03-0.80.nn"));
  CHECK_FALSE(fs::exists(f.dir / "ck-04-0.90.nn"));
  Sequential loaded = load_model((f.dir / "ck-03-0.80.nn").string());
  const auto w = loaded.get_weights();
  for (size_t i = 0; i < w.size(); ++i) CHECK(w[i].to_vector() == weights_at[2][i].to_vector());
  CHECK_THROWS_AS(format_checkpoint_path("m-{val_acc}.nn", 0, {{"loss", 1.0}}), std::invalid_argument);
  CHECK(format_checkpoint_path("m-{epoch}.nn", 4, {}) == "m-5.nn");
}

TEST_CASE("CSVLogger writes a header and one row per epoch") {
  Fixture f;
  const std::string path = (f.dir / "h.csv").string();
  f.model.fit(f.x, f.y, f.options(3, {std::make_shared<CSVLogger>(path)}));
  std::ifstream in(path);
  std::string header, line;
  std::getline(in, header);
  CHECK(header == "epoch,accuracy,learning_rate,loss");
  int rows = 0;
  while (std::getline(in, line)) {
    CHECK(line.rfind(std::to_string(rows) + ",", 0) == 0);
    ++rows;
  }
  CHECK(rows == 3);
  f.model.fit(f.x, f.y, f.options(1, {std::make_shared<CSVLogger>(path, ',', true)}));  // append
  std::ifstream again(path);
  int lines = 0;
  while (std::getline(again, line)) ++lines;
  CHECK(lines == 5);
}

TEST_CASE("CSVLogger leaves an existing file alone until the run has a row to write") {
  Fixture f;
  const std::string path = (f.dir / "h.csv").string();
  { std::ofstream(path) << "epoch,loss\n0,0.5\n"; }
  auto failing = std::make_shared<LambdaCallback>(LambdaCallbackOptions().on_batch_end([](int64_t batch, const Logs&) {
    if (batch == 2) throw std::runtime_error("the run fails in its first epoch");
  }));
  CHECK_THROWS_AS(f.model.fit(f.x, f.y, f.options(2, {std::make_shared<CSVLogger>(path), failing})), std::runtime_error);
  std::ifstream in(path);
  const std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(kept == "epoch,loss\n0,0.5\n");
}

TEST_CASE("read_history_csv reads back what fit() returned through CSVLogger") {
  Fixture f;
  const std::string path = (f.dir / "h.csv").string();
  const History h = f.model.fit(f.x, f.y, f.options(3, {std::make_shared<CSVLogger>(path)}));
  const History back = read_history_csv(path);
  CHECK(back.epochs == h.epochs);
  REQUIRE(back.history.size() == h.history.size());
  for (const auto& [key, values] : h.history) {
    REQUIRE(back.history.count(key) == 1);
    const std::vector<double>& read = back.history.at(key);
    REQUIRE(read.size() == values.size());
    for (size_t i = 0; i < values.size(); ++i) CHECK(read[i] == values[i]);  // fmt writes the shortest exact form
  }
}

TEST_CASE("read_history_csv: NA and non-finite values, and errors naming the file, line and column") {
  test::TempDir tmp{"nn_history"};
  const auto write = [&](const std::string& text) {
    const std::string path = tmp / "h.csv";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
  };
  const History h = read_history_csv(write("epoch,loss,val_loss\r\n0,0.5,NA\r\n1,inf,nan\n\n2,-inf,0.25\n"));
  CHECK(h.epochs == std::vector<int>{0, 1, 2});
  CHECK(std::isnan(h.history.at("val_loss")[0]));
  CHECK(std::isinf(h.history.at("loss")[1]));
  CHECK(h.history.at("val_loss")[2] == 0.25);
  const auto error = [&](const std::string& text) {
    const std::string path = write(text);
    try {
      read_history_csv(path);
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      CHECK(what.rfind(path + ": ", 0) == 0);
      return what;
    }
    FAIL("no error for: " << text);
    return std::string();
  };
  CHECK(error("").find("empty") != std::string::npos);
  CHECK(error("loss,epoch\n0.5,0\n").find("expected 'epoch'") != std::string::npos);
  CHECK(error("epoch,loss,loss\n").find("line 1, column 3: a repeated log name 'loss'") != std::string::npos);
  CHECK(error("epoch,loss\n0,0.5\n1,abc\n").find("line 3, column 2 (loss): 'abc' is not a number") != std::string::npos);
  CHECK(error("epoch,loss\n0,0.5,1\n").find("line 2: 3 fields, the header has 2") != std::string::npos);
  CHECK(error("epoch,loss\n-1,0.5\n").find("is not an epoch number") != std::string::npos);
  CHECK(error("epoch,loss\n0,0.5x\n").find("'0.5x' is not a number") != std::string::npos);
  CHECK_THROWS_WITH_AS(read_history_csv(tmp / "missing.csv"), doctest::Contains("missing.csv"), std::runtime_error);
}

TEST_CASE("TensorBoard writes train and validation event files TensorBoard can read") {
  Fixture f;
  auto tb = std::make_shared<TensorBoard>((f.dir / "logs").string(), 2);
  FitOptions o = f.options(2, {tb});
  o.validation_split(0.25);
  f.model.fit(f.x, f.y, o);
  const auto train = io::read_scalars(tb->train_file());
  const auto val = io::read_scalars(tb->validation_file());
  int epoch_loss = 0, batch_loss = 0, lr = 0;
  for (const auto& e : train) {
    epoch_loss += e.tag == "epoch_loss";
    batch_loss += e.tag == "batch_loss";
    lr += e.tag == "epoch_learning_rate";
  }
  CHECK(epoch_loss == 2);
  CHECK(lr == 2);
  CHECK(batch_loss == 3);  // 24 training samples / 8 = 3 steps per epoch, 6 steps, every 2nd
  int val_loss = 0;
  for (const auto& e : val) val_loss += e.tag == "epoch_loss" || e.tag == "epoch_accuracy";
  CHECK(val_loss == 4);
  CHECK(fs::path(tb->train_file()).parent_path().filename() == "train");
  CHECK(fs::path(tb->train_file()).filename().string().find("events.out.tfevents.") == 0);
}

TEST_CASE("TerminateOnNaN stops at the first non-finite loss") {
  Fixture f;
  Tensor bad = f.x.clone();
  bad.data()[0] = std::nanf("");
  auto guard = std::make_shared<TerminateOnNaN>();
  f.model.fit(bad, f.y, f.options(3, {guard}));
  CHECK(f.model.optimizer().iterations() == 1);
  CHECK(guard->terminated());
  CHECK(guard->epoch() == 0);
  CHECK(guard->batch() == 0);
}

TEST_CASE("LearningRateScheduler sets the rate each epoch") {
  Fixture f;
  auto sched = std::make_shared<LearningRateScheduler>([](int epoch, double) { return 0.1 / (epoch + 1); });
  auto h = f.model.fit(f.x, f.y, f.options(3, {sched}));
  CHECK(h.history["learning_rate"][2] == doctest::Approx(0.1 / 3));
}

TEST_CASE("callbacks are called in Keras's order") {
  Fixture f;
  std::string trace;
  auto cb = std::make_shared<LambdaCallback>(LambdaCallbackOptions()
                                                 .on_train_begin([&](const Logs&) { trace += "T"; })
                                                 .on_epoch_begin([&](int, const Logs&) { trace += "E"; })
                                                 .on_batch_begin([&](int64_t, const Logs&) { trace += "b"; })
                                                 .on_batch_end([&](int64_t, const Logs&) { trace += "."; })
                                                 .on_epoch_end([&](int, Logs&) { trace += "e"; })
                                                 .on_train_end([&](const Logs&) { trace += "t"; }));
  f.model.fit(f.x, f.y, f.options(2, {cb}));
  CHECK(trace == "TEb.b.b.b.eEb.b.b.b.et");
}
