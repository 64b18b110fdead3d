// mnist: train and evaluate the classic MNIST models with nn.
//
//   mnist train --data DIR --model softmax|mlp|cnn [--epochs N | --steps N] [--batch-size N]
//               [--optimizer sgd|adam] [--lr X] [--seed N] [--out DIR] [--threads N]
//               [--validation-size N] [--verbose 0|1|2]
//   mnist evaluate --data DIR --model-file F
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nn/data/mnist.hpp>
#include <nn/io/model_file.hpp>
#include <nn/model/callbacks/csv_logger.hpp>
#include <nn/model/callbacks/model_checkpoint.hpp>
#include <nn/model/callbacks/tensorboard.hpp>
#include <nn/nn.hpp>

#include "models.hpp"

namespace {

const char* kUsage =
    "usage:\n"
    "  mnist train --data DIR --model softmax|mlp|cnn [--epochs N | --steps N] [--batch-size N]\n"
    "              [--optimizer sgd|adam] [--lr X] [--seed N] [--out DIR] [--threads N]\n"
    "              [--validation-size N] [--verbose 0|1|2]\n"
    "  mnist evaluate --data DIR --model-file F [--batch-size N]\n";

struct Args {
  std::string command;
  std::map<std::string, std::string> options;

  bool has(const std::string& k) const { return options.count(k) > 0; }
  std::string str(const std::string& k, const std::string& fallback = "") const {
    auto it = options.find(k);
    return it == options.end() ? fallback : it->second;
  }
  std::string required(const std::string& k) const {
    if (!has(k)) throw std::invalid_argument("missing --" + k);
    return str(k);
  }
  int64_t integer(const std::string& k, int64_t fallback) const {
    return has(k) ? convert<int64_t>(k, "an integer", [](const std::string& v, size_t* used) { return std::stoll(v, used); })
                  : fallback;
  }
  double number(const std::string& k, double fallback) const {
    return has(k) ? convert<double>(k, "a number", [](const std::string& v, size_t* used) { return std::stod(v, used); })
                  : fallback;
  }

 private:
  // The whole value must parse, else "--k: 'v' is not <what>".
  template <class T, class F>
  T convert(const std::string& k, const char* what, F parse_value) const {
    const std::string v = str(k);
    size_t used = 0;
    T out{};
    try {
      out = parse_value(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != v.size()) throw std::invalid_argument("--" + k + ": '" + v + "' is not " + what);
    return out;
  }
};

Args parse(int argc, char** argv, const std::map<std::string, bool>& known) {
  if (argc < 2) throw std::invalid_argument("missing command");
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0) throw std::invalid_argument("unexpected argument '" + k + "'");
    k = k.substr(2);
    if (!known.count(k)) throw std::invalid_argument("unknown option --" + k);
    if (i + 1 >= argc) throw std::invalid_argument("--" + k + " needs a value");
    a.options[k] = argv[++i];
  }
  return a;
}

// (N, 28, 28) raw bytes -> a pipeline of (1, 28, 28) images in [0, 1].
nn::data::Example normalize(nn::data::Example e) {
  nn::Tensor x({1, e.x.dim(0), e.x.dim(1)});
  const float* src = e.x.data();
  float* dst = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) dst[i] = src[i] * (1.0f / 255.0f);
  return {x, e.y};
}

nn::Tensor scaled(const nn::Tensor& images) {  // (N, H, W) -> (N, 1, H, W) / 255
  nn::Tensor x({images.dim(0), 1, images.dim(1), images.dim(2)});
  const float* src = images.data();
  float* dst = x.data();
  for (int64_t i = 0; i < x.numel(); ++i) dst[i] = src[i] * (1.0f / 255.0f);
  return x;
}

int train(const Args& a) {
  const std::string kind = a.required("model");
  const mnist::Defaults d = mnist::defaults_for(kind);
  if (a.has("epochs") && a.has("steps")) throw std::invalid_argument("give --epochs or --steps, not both");
  const int epochs = static_cast<int>(a.integer("epochs", d.epochs));
  const int64_t steps = a.integer("steps", -1);
  const int64_t batch_size = a.integer("batch-size", d.batch_size);
  const std::string opt_name = a.str("optimizer", d.optimizer);
  const auto lr = static_cast<float>(a.number("lr", a.has("optimizer") && opt_name != d.optimizer
                                                        ? (opt_name == "adam" ? 0.001 : 0.1)
                                                        : d.lr));
  const auto seed = static_cast<uint64_t>(a.integer("seed", 42));
  const std::string out = a.str("out", "out/" + kind);
  const int64_t n_val = a.integer("validation-size", 5000);
  const int verbose = static_cast<int>(a.integer("verbose", 1));
  if (epochs < 1 || batch_size < 1 || (a.has("steps") && steps < 1) || n_val < 0)
    throw std::invalid_argument("--epochs, --steps and --batch-size must be positive");
  if (a.has("threads")) nn::set_num_threads(static_cast<int>(a.integer("threads", 1)));
  nn::manual_seed(seed);

  const nn::data::Mnist data = nn::data::load_mnist(a.required("data"));
  const int64_t n = data.train_images.dim(0);
  if (n_val >= n) throw std::invalid_argument("--validation-size must be smaller than the training set");
  const int64_t n_train = n - n_val;
  fmt::print("MNIST: {} training, {} validation, {} test images; {}\n", n_train, n_val, data.test_images.dim(0),
             nn::backend_for(nn::Device::cpu()).name());

  auto train_ds = nn::data::Dataset::from_tensor_slices(data.train_images.slice(0, n_train),
                                                       data.train_labels.slice(0, n_train))
                      .shuffle(n_train, seed)
                      .map(normalize)
                      .batch(batch_size);
  if (steps > 0) train_ds = train_ds.repeat();
  train_ds = train_ds.prefetch(2);

  nn::Sequential model = mnist::make_model(kind);
  std::fputs(model.summary().c_str(), stdout);
  nn::OptimizerPtr opt;
  if (opt_name == "adam") opt = std::make_shared<nn::Adam>(lr);
  else if (opt_name == "sgd") opt = std::make_shared<nn::SGD>(lr);
  else throw std::invalid_argument("--optimizer: expected sgd or adam, got '" + opt_name + "'");
  model.compile(opt, "sparse_categorical_crossentropy", {"accuracy"});

  std::filesystem::create_directories(out);
  const std::string model_path = out + "/model.nn";
  nn::FitOptions fit;
  fit.epochs = steps > 0 ? 1 : epochs;
  fit.steps_per_epoch = steps;
  fit.verbose = verbose;
  const bool validate = n_val > 0;
  if (validate)
    fit.validation_data = nn::data::Dataset::from_tensor_slices(scaled(data.train_images.slice(n_train, n)),
                                                               data.train_labels.slice(n_train, n))
                              .batch(1000);
  nn::ModelCheckpointOptions ck;
  ck.monitor = validate ? "val_loss" : "loss";
  ck.save_best_only = true;
  fit.callbacks = {std::make_shared<nn::ModelCheckpoint>(model_path, ck),
                   std::make_shared<nn::TensorBoard>(out + "/logs", 100),
                   std::make_shared<nn::CSVLogger>(out + "/history.csv")};

  const auto t0 = std::chrono::steady_clock::now();
  model.fit(train_ds, fit);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t images = (steps > 0 ? steps * batch_size : int64_t{epochs} * n_train);
  fmt::print("training: {:.1f} s, {:.0f} images/s\n", seconds, static_cast<double>(images) / seconds);

  nn::Sequential best = nn::load_model(model_path);
  const nn::Logs test = best.evaluate(scaled(data.test_images), data.test_labels, 1000);
  fmt::print("model: {}\nlogs: {} (tensorboard --logdir {})\nhistory: {}\n", model_path, out + "/logs", out + "/logs",
             out + "/history.csv");
  fmt::print("test_loss: {:.4f}\n", test.at("loss"));
  fmt::print("test_accuracy: {:.4f}\n", test.at("accuracy"));
  return 0;
}

int evaluate(const Args& a) {
  nn::Sequential model = nn::load_model(a.required("model-file"));
  if (!model.compiled()) model.compile(std::make_shared<nn::SGD>(), "sparse_categorical_crossentropy", {"accuracy"});
  const nn::data::Mnist data = nn::data::load_mnist(a.required("data"));
  const nn::Logs test = model.evaluate(scaled(data.test_images), data.test_labels, a.integer("batch-size", 1000));
  fmt::print("test_loss: {:.4f}\n", test.at("loss"));
  fmt::print("test_accuracy: {:.4f}\n", test.at("accuracy"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc >= 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    const std::map<std::string, bool> train_opts{{"data", true},  {"model", true},   {"epochs", true},
                                                 {"steps", true}, {"batch-size", true}, {"optimizer", true},
                                                 {"lr", true},    {"seed", true},    {"out", true},
                                                 {"threads", true}, {"validation-size", true}, {"verbose", true}};
    const std::map<std::string, bool> eval_opts{{"data", true}, {"model-file", true}, {"batch-size", true}};
    const std::string cmd = argc >= 2 ? argv[1] : "";
    if (cmd == "train") return train(parse(argc, argv, train_opts));
    if (cmd == "evaluate") return evaluate(parse(argc, argv, eval_opts));
    fmt::print(stderr, "mnist: {}\n{}", cmd.empty() ? "missing command" : "unknown command '" + cmd + "'", kUsage);
    return 2;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "mnist: {}\n{}", e.what(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "mnist: {}\n", e.what());
    return 1;
  }
}
