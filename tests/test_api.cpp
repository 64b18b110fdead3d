// The Keras-style surface: Input and input_shape, compile by name, optimizers by name with
// Keras's defaults, model.save, metrics by name, named options.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/nn.hpp"
#include "temp_dir.hpp"

using namespace nn;

TEST_CASE("Input and input_shape build the model as layers are added") {
  Sequential a;
  a.add(Input({1, 4, 4}));
  CHECK(a.built());
  a.add<Conv2D>(2, 3, "same", "relu");
  CHECK(a.layers()[0]->built());
  a.add<Flatten>();
  a.add<Dense>(3, "softmax");
  CHECK(a.output_shape() == Shape{3});
  CHECK(a.count_params() == (2 * 9 + 2) + (32 * 3 + 3));

  Sequential b;
  b.add<Dense>(DenseOptions(5).activation("relu").input_shape({7}));
  CHECK(b.built());
  CHECK(b.input_shape() == Shape{7});
  b.add<Dense>(2);
  CHECK(b.layers()[1]->built());
  CHECK_THROWS_AS(b.add(Input({3})), std::invalid_argument);  // Input must come first
  Sequential c;
  c.add(Input({4}));
  CHECK_THROWS_WITH_AS(c.add<Dense>(DenseOptions(2).input_shape({5})),
                       doctest::Contains("declares input_shape (5,)"), std::invalid_argument);
}

TEST_CASE("compile by name, by object and shared - model.save and load_model") {
  test::TempDir dir;
  Sequential m;
  m.add(Input({4}));
  m.add<Dense>(8, "relu");
  m.add<Dense>(3, "softmax");
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  CHECK(m.optimizer().type() == "Adam");
  CHECK(m.optimizer().learning_rate() == doctest::Approx(0.001));
  m.compile(Adam(1e-2), SparseCategoricalCrossentropy(), {"acc"});
  CHECK(m.optimizer().learning_rate() == doctest::Approx(0.01));
  m.compile(std::make_shared<SGD>(SGDOptions(0.1).momentum(0.9)), "categorical_crossentropy");
  CHECK(m.optimizer().type() == "SGD");
  CHECK_THROWS_WITH_AS(m.compile("adamax", "mse"),
                       doctest::Contains("unknown optimizer 'adamax' (expected sgd, adam"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(m.compile("adam", "hinge"), doctest::Contains("unknown loss 'hinge' (expected"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      m.compile("adam", "mse", {"top_k"}),
      doctest::Contains("unknown metric 'top_k' (expected accuracy (acc), sparse_categorical_accuracy"),
      std::invalid_argument);

  m.compile("rmsprop", "sparse_categorical_crossentropy", {"accuracy", "sparse_top_k_categorical_accuracy"});
  const Tensor x = Tensor::ones({2, 4}), y = Tensor::from_vector({2}, {0, 2});
  const Logs logs = m.train_on_batch(x, y);
  CHECK(logs.count("sparse_top_k_categorical_accuracy"));
  m.save(dir / "m.nn");
  Sequential back = load_model(dir / "m.nn");
  CHECK(back.optimizer().type() == "RMSprop");
  CHECK(back.predict(x).to_vector() == m.predict(x).to_vector());
  Sequential twin;
  twin.add(Input({4}));
  twin.add<Dense>(8, "relu");
  twin.add<Dense>(3, "softmax");
  m.save_weights(dir / "w.nn");
  twin.load_weights(dir / "w.nn");
  CHECK(twin.predict(x).to_vector() == m.predict(x).to_vector());
}

TEST_CASE("optimizers by name take Keras's defaults and refuse unknown keys") {
  auto adam = create_optimizer("adam");
  CHECK(adam->type() == "Adam");
  CHECK(std::get<double>(adam->config().at("epsilon")) == doctest::Approx(1e-7));
  CHECK(create_optimizer("SGD")->learning_rate() == doctest::Approx(0.01));
  CHECK(std::get<double>(create_optimizer("adamw")->config().at("weight_decay")) == doctest::Approx(0.004));
  CHECK(create_optimizer("adam", {{"learning_rate", 0.5}})->learning_rate() == doctest::Approx(0.5));
  CHECK_THROWS_WITH_AS(create_optimizer("adam", {{"lr", 0.5}}),
                       doctest::Contains("unknown key 'lr' for optimizer adam (known: learning_rate"),
                       std::invalid_argument);
  for (const char* name : {"sgd", "adam", "adamw", "rmsprop", "adagrad"}) {
    CAPTURE(name);
    auto opt = create_optimizer(name);
    auto copy = create_optimizer(opt->type(), opt->config());
    CHECK(copy->config() == opt->config());
  }
}

TEST_CASE("callbacks and fit take named options, and each option has its effect") {
  test::TempDir dir;
  auto model = [](double lr) {
    Sequential m;
    m.add(Input({2}));
    m.add<Dense>(2, "softmax");
    m.compile(SGD(lr), "sparse_categorical_crossentropy", {"accuracy"});
    return m;
  };
  const Tensor x = Tensor::from_vector({4, 2}, {0, 1, 1, 0, 0, 2, 2, 0});
  const Tensor y = Tensor::from_vector({4}, {1, 0, 1, 0});
  // A log from an earlier run: append keeps its rows and writes no second header.
  std::ofstream(dir / "h.csv") << "epoch,accuracy,loss\n0,0.25,0.9\n";

  Sequential m = model(0.1);
  auto ckpt = std::make_shared<ModelCheckpoint>(
      dir / "best.nn", ModelCheckpointOptions().monitor("loss").save_best_only(true));
  auto stop = std::make_shared<EarlyStopping>(EarlyStoppingOptions().monitor("loss").patience(2));
  auto csv = std::make_shared<CSVLogger>(CSVLoggerOptions(dir / "h.csv").append(true));
  auto tb = std::make_shared<TensorBoard>(TensorBoardOptions(dir / "logs").update_freq(1));
  const History h =
      m.fit(x, y, FitOptions().epochs(3).batch_size(2).verbose(0).callbacks({ckpt, stop, csv, tb}));
  REQUIRE(h.epochs.size() == 3);
  const std::vector<double>& loss = h.history.at("loss");
  REQUIRE(loss[1] < loss[0]);
  REQUIRE(loss[2] < loss[1]);  // so the best epoch is the last, and EarlyStopping kept going
  CHECK(stop->stopped_epoch() == 0);

  // save_best_only: the file holds the best (here the last) epoch's weights.
  CHECK(ckpt->last_saved() == dir / "best.nn");
  Sequential best = load_model(dir / "best.nn");
  REQUIRE(best.parameters().size() == m.parameters().size());
  for (size_t i = 0; i < m.parameters().size(); ++i)
    CHECK(best.parameters()[i].value().to_vector() == m.parameters()[i].value().to_vector());

  // append: the earlier row, then one row per epoch under the one header.
  std::ifstream in(dir / "h.csv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == "epoch,accuracy,loss");
  CHECK(lines[1] == "0,0.25,0.9");
  for (size_t i = 2; i < 5; ++i) CHECK(lines[i].rfind(std::to_string(i - 2) + ",", 0) == 0);

  // update_freq(1): a batch_loss at each of the 3 x 2 steps, besides the 3 epoch_loss values.
  int batches = 0, epochs = 0;
  for (const io::ScalarEvent& e : io::read_scalars(tb->train_file())) {
    batches += e.tag == "batch_loss";
    epochs += e.tag == "epoch_loss";
  }
  CHECK(batches == 6);
  CHECK(epochs == 3);

  // patience(2): with nothing learnt (lr 0, one batch, so the loss repeats exactly) training
  // stops after the first epoch and two without improvement.
  Sequential still = model(0.0);
  auto stop2 = std::make_shared<EarlyStopping>(EarlyStoppingOptions().monitor("loss").patience(2));
  const History h2 = still.fit(x, y, FitOptions().epochs(10).batch_size(4).verbose(0).callbacks({stop2}));
  CHECK(h2.epochs.size() == 3);
  CHECK(stop2->stopped_epoch() == 2);
}

TEST_CASE("optimizers, schedules, losses and metrics are found by name in registries a program can add to") {
  // The built-in names, with their aliases, as compile() and model files spell them.
  CHECK(create_optimizer("AdamW")->type() == "AdamW");
  CHECK(make_loss("mae")->name() == "mean_absolute_error");
  CHECK(make_metric("mse")->name() == "mse");
  CHECK(make_metric("acc")->name() == "accuracy");
  // A program's own: an optimizer under a new name, a loss, a metric and a schedule.
  register_optimizer("halfsgd", [](const std::string&, const Config& config) -> OptimizerPtr {
    ConfigReader c(config, "optimizer halfsgd");
    auto opt = std::make_shared<SGD>(SGDOptions(c.number("learning_rate", 0.5)));
    c.done();
    return opt;
  });
  register_loss("mse_too", [](const std::string&, bool, float) -> LossPtr { return std::make_shared<MeanSquaredError>(); });
  register_metric("mae_too", [](const std::string&) -> MetricPtr { return make_metric("mean_absolute_error"); });
  register_schedule("Fixed", [](const Config& config) -> SchedulePtr {
    ConfigReader r(config, "Fixed");
    auto s = std::make_shared<ExponentialDecay>(ExponentialDecayOptions(r.number("learning_rate"), 1, 1.0));
    r.done();
    return s;
  });
  Sequential m;
  m.add(Input({2}));
  m.add<Dense>(1);
  m.compile("HalfSGD", "mse_too", {"mae_too"});  // optimizer names match without case
  CHECK(m.optimizer().type() == "SGD");
  CHECK(m.optimizer().learning_rate() == doctest::Approx(0.5));
  const Logs logs = m.train_on_batch(Tensor::ones({4, 2}), Tensor::zeros({4, 1}));
  CHECK(logs.count("mean_absolute_error") == 1);
  CHECK((*create_schedule("Fixed", {{"learning_rate", 0.25}}))(100) == doctest::Approx(0.25));
  // Unknown names list what the registry holds, added ones included, and how to add one.
  CHECK_THROWS_WITH_AS(create_optimizer("lion"),
                       doctest::Contains("adagrad or halfsgd; register your own with nn::register_optimizer"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(create_schedule("Step", {}), doctest::Contains("unknown learning-rate schedule 'Step' (expected "
                                                                      "ExponentialDecay, CosineDecay, OneCycle or Fixed"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(make_loss("mse", false, 0.1f), doctest::Contains("label_smoothing applies to the cross-entropies"),
                       std::invalid_argument);
}
