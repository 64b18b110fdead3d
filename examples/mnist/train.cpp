// mnist train: trains one of the classic models, keeps the best epoch by validation loss, and
// reports that model's test accuracy. Only a model this run saved is reported: a run that
// diverges (TerminateOnNaN) or saves nothing exits non-zero and says why. SIGINT or SIGTERM
// stops it after the current step: the best model saved so far is kept, the lock removed, and it
// exits 130 or 143 (128 + the signal) saying where things are; a second signal kills it at once.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nn/io/atomic_file.hpp>
#include <nn/io/model_file.hpp>
#include <nn/model/callbacks/csv_logger.hpp>
#include <nn/model/callbacks/model_checkpoint.hpp>
#include <nn/model/callbacks/simple.hpp>
#include <nn/model/callbacks/tensorboard.hpp>
#include <nn/nn.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_files.hpp"
#include "data.hpp"
#include "job.hpp"
#include "models.hpp"
#include "report.hpp"
#include "run_lock.hpp"
#include "run_record.hpp"

namespace mnist {
namespace {

volatile sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) { g_stop_signal = sig; }

// SIGINT and SIGTERM set g_stop_signal; the handler is reset by its first signal, so a second one
// ends the process the default way. SA_RESTART: no other thread sees EINTR.
void catch_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Ends training after the step in progress when a stop signal came.
class StopOnSignal : public nn::Callback {
 public:
  void on_train_batch_end(int64_t batch, const nn::Logs&) override {
    ++steps_;
    (void)batch;
    if (g_stop_signal) model().set_stop_training(true);
  }
  bool wants_batch_logs(int64_t) const override { return false; }
  int64_t steps() const { return steps_; }

 private:
  int64_t steps_ = 0;
};

// Each epoch's time, validation included (the run record's throughput per epoch).
class EpochTimer : public nn::Callback {
 public:
  void on_epoch_begin(int, const nn::Logs&) override { start_ = std::chrono::steady_clock::now(); }
  void on_epoch_end(int, nn::Logs&) override {
    seconds_.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  bool wants_batch_logs(int64_t) const override { return false; }
  const std::vector<double>& seconds() const { return seconds_; }

 private:
  std::chrono::steady_clock::time_point start_;
  std::vector<double> seconds_;
};

// Once this run has saved a model, the record and report of an earlier run in the directory
// describe another model: they go (run.json is written again at the end, report.html with
// --report), so the directory never pairs one run's model with another's record or page.
class RemoveStaleRunFiles : public nn::Callback {
 public:
  RemoveStaleRunFiles(std::string out, const nn::ModelCheckpoint& checkpoint)
      : out_(std::move(out)), checkpoint_(checkpoint) {}
  bool writes() const override { return true; }
  void on_epoch_end(int, nn::Logs&) override {
    if (done_ || checkpoint_.last_saved().empty()) return;
    for (const char* name : {"/run.json", "/report.html"}) {
      std::error_code ec;
      std::filesystem::remove(out_ + name, ec);
      if (ec) throw std::runtime_error(out_ + name + ": cannot remove the previous run's file: " + ec.message());
    }
    done_ = true;
  }
  bool wants_batch_logs(int64_t) const override { return false; }

 private:
  std::string out_;
  const nn::ModelCheckpoint& checkpoint_;
  bool done_ = false;
};

const char* signal_name(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal"; }
// The history of the run that made the model in --out: a run that saves no model (it diverged,
// failed or never improved) puts back the history.csv it found, so the directory's model and
// history stay one run's.
class HistoryGuard {
 public:
  HistoryGuard(std::string path, const nn::ModelCheckpoint& checkpoint) : path_(std::move(path)), checkpoint_(checkpoint) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path_, ec) || std::filesystem::file_size(path_, ec) > kMaxBytes || ec) return;
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in) previous_ = bytes.str();
  }
  HistoryGuard(const HistoryGuard&) = delete;
  HistoryGuard& operator=(const HistoryGuard&) = delete;
  ~HistoryGuard() {
    if (!previous_ || !checkpoint_.last_saved().empty()) return;
    try {
      nn::io::write_file_atomically(path_, *previous_);
    } catch (const std::exception& e) {
      fmt::print(stderr, "mnist: could not restore the previous {}: {}\n", path_, e.what());
    }
  }

 private:
  static constexpr std::uintmax_t kMaxBytes = 64 << 20;  // larger: not a history this tool wrote
  std::string path_;
  const nn::ModelCheckpoint& checkpoint_;
  std::optional<std::string> previous_;
};
}  // namespace

CLI::App* add_train_command(CLI::App& app, TrainOptions& o) {
  CLI::App* cmd = app.add_subcommand("train", "Train a model on MNIST and report its test accuracy");
  cmd->add_option("--data", o.data, "Directory with the MNIST IDX files (raw or .gz)")->required();
  cmd->add_option("--model", o.model, "Architecture (required unless --initial-model is given)")
      ->check(CLI::IsMember({"softmax", "mlp", "cnn", "fast", "best"}));
  cmd->add_option("--initial-model", o.initial_model,
                  "Fine-tune this model file (.nn, or .onnx from PyTorch, Keras or nn) instead of a new --model; "
                  "the defaults are then 1 epoch of Adam at 1e-4 in batches of 64 (or --model's)");
  auto* epochs = cmd->add_option("--epochs", o.epochs, "Passes over the training images (default: per model)")
                     ->check(integer_in(1, 100000));
  cmd->add_option("--steps", o.steps, "Train for this many batches instead of whole epochs")
      ->check(integer_in(1, int64_t{1} << 40))
      ->excludes(epochs);
  cmd->add_option("--batch-size", o.batch_size, "Images per step (default: per model)")
      ->check(integer_in(1, 1 << 20));
  cmd->add_option("--optimizer", o.optimizer, "sgd or adam (default: per model)")
      ->check(CLI::IsMember({"sgd", "adam"}));
  cmd->add_option("--lr", o.lr, "Learning rate (default: per model and optimizer)")
      ->check(number_in(0.0, 1e9, true));
  cmd->add_option("--lr-schedule", o.lr_schedule,
                  "constant; cosine (decay to 0 over the run); one-cycle (up to --lr and down again) "
                  "(default: per model)")
      ->check(CLI::IsMember({"constant", "cosine", "one-cycle"}));
  cmd->add_option("--label-smoothing", o.label_smoothing,
                  "Spread this much of each target over the classes (default: per model)")
      ->check(number_in(0.0, 0.999, false));
  cmd->add_option("--augment", o.augment,
                  "on: random rotations (up to 10 degrees), shifts (10%) and zooms (10%) of the training images, "
                  "by layers in front of the model that pass images through unchanged outside training; off: "
                  "none (default: per model, on for best)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--seed", o.seed, "Seed for initialisation, shuffling and dropout")
      ->check(unsigned_integer())
      ->capture_default_str();
  cmd->add_option("--out", o.out, "Output directory (default: out/MODEL)");
  add_threads_option(cmd, o.threads);
  add_device_option(cmd, o.device);
  add_gpu_options(cmd, o.gpu);
  cmd->add_option("--precision", o.precision,
                  "float32, or bf16: mixed precision (bfloat16 matrix products and convolutions with float32 "
                  "accumulation and master weights) on a device that computes in it (cuda)")
      ->check(CLI::IsMember({"float32", "bf16"}))
      ->capture_default_str();
  cmd->add_option("--validation-size", o.validation_size, "Training images held out for validation")
      ->check(integer_in(0, 1 << 30))
      ->capture_default_str();
  cmd->add_flag("--report", o.report,
                "At the end, write OUT/report.html: curves, test confusion matrix, per-class figures, the most "
                "confidently wrong digits, throughput (as 'mnist report OUT' does)");
  cmd->add_option("--verbose", o.verbose, "0 silent, 1 progress bar, 2 one line per epoch")
      ->check(integer_in(0, 2))
      ->capture_default_str();
  return cmd;
}

int run_train(const TrainOptions& o) {
  if (o.model.empty() && o.initial_model.empty()) throw UsageError("give --model or --initial-model");
  if (o.report && !reports_available())
    throw UsageError("--report: this mnist was built without report pages (nn::report; npm ci --prefix src/report, "
                     "then build again)");
  if (o.model.empty() && !o.augment.empty())
    throw UsageError("--augment chooses the layers of a new --model; a model from --initial-model keeps its own");
  const Defaults d = o.model.empty() ? Defaults{1, 64, "adam", 1e-4f, "constant", 0.0, false} : defaults_for(o.model);
  const int64_t epochs = o.epochs > 0 ? o.epochs : d.epochs;
  const int64_t batch_size = o.batch_size > 0 ? o.batch_size : d.batch_size;
  const std::string opt_name = o.optimizer.empty() ? d.optimizer : o.optimizer;
  const float lr = static_cast<float>(o.lr > 0.0                ? o.lr
                                      : opt_name == d.optimizer ? d.lr
                                      : opt_name == "adam"      ? 0.001
                                                                : 0.1);
  const std::string schedule = o.lr_schedule.empty() ? d.lr_schedule : o.lr_schedule;
  const double label_smoothing = o.label_smoothing >= 0.0 ? o.label_smoothing : d.label_smoothing;
  const std::string out = o.out.empty() ? "out/" + (o.model.empty() ? std::string("fine-tuned") : o.model) : o.out;
  nn::manual_seed(o.seed);
  // Under `mpirun -n N`: one rank of a data-parallel job; --batch-size is the global batch, each
  // rank reads its shard of the training and validation images and steps on B / N of them. The
  // ranks on one machine share its cores unless --threads says otherwise.
  const Job job = join_job();
  if (o.threads > 0)
    nn::set_num_threads(static_cast<int>(o.threads));
  else if (job.local_size > 1)
    nn::set_num_threads(std::max(1, nn::num_threads() / job.local_size));
  if (batch_size % job.size != 0)
    throw UsageError(fmt::format("--batch-size {} is the global batch: it must divide among the {} ranks", batch_size,
                                 job.size));
  const int64_t local_batch = batch_size / job.size;

  nn::Device device = nn::parse_device(o.device);
  if (job.size > 1 && !device.is_host() && nn::cuda::device_count() > 0)
    device = nn::Device::cuda(job.local_rank % nn::cuda::device_count());  // a GPU per rank on each machine
  const nn::DType precision = o.precision == "bf16" ? nn::kBFloat16 : nn::kFloat32;
  if (!nn::backend_for(device).computes_in(precision))
    throw UsageError(fmt::format("--precision {} needs a device that computes in bfloat16 (cuda); {} computes in "
                                 "float32 only",
                                 o.precision, nn::to_string(device)));
  apply_gpu_options(o.gpu);
  catch_stop_signals();
  std::optional<RunLock> lock;  // one run per output directory (rank 0 writes it)
  if (job.chief()) lock.emplace(out);
  const std::optional<bool> augment = o.augment.empty() ? std::nullopt : std::optional<bool>(o.augment == "on");
  nn::Model model = o.initial_model.empty() ? nn::Model(make_model(o.model, augment))
                                            : load_model_file(o.initial_model, nn::Device::cpu());
  if (!model.built()) throw std::runtime_error(o.initial_model + ": the model has no input shape (it was never built)");
  model.to(device);
  nn::data::MnistOptions data_options = options_for(model.input_shape());
  const nn::data::Mnist data = nn::data::load_mnist(o.data, data_options);
  const int64_t n = data.train_images.dim(0);
  const int64_t n_val = o.validation_size;
  if (n_val >= n)
    throw UsageError(
        fmt::format("--validation-size {} leaves no training images (the training split has {})", n_val, n));
  const int64_t n_train = n - n_val;
  if (job.chief())
    fmt::print("MNIST: {} training, {} validation, {} test images; {}{}\n", n_train, n_val, data.test_images.dim(0),
               nn::backend_for(device).name(),
               job.size > 1 ? fmt::format("; {} ranks, {} images each per step", job.size, local_batch) : "");
  // This rank's rows: every job.size-th image (a contiguous block for the device-resident copy).
  const auto block = [&](const nn::Tensor& t, int64_t begin, int64_t end) {
    const int64_t rows = (end - begin) / job.size;
    return t.slice(begin + job.rank * rows, begin + (job.rank + 1) * rows);
  };

  // On a device with memory of its own the images stay there (47 MB of bytes), and each batch is
  // gathered and scaled there: the same batches as on the CPU, without a copy per step.
  const bool resident = !device.is_host();
  const nn::Shape input_shape = model.input_shape();
  const auto on_device_scaled = [input_shape](const nn::Tensor& bytes) {
    nn::Shape shape{bytes.dim(0)};
    shape.insert(shape.end(), input_shape.begin(), input_shape.end());
    return (bytes.to(nn::kFloat32) * (1.0f / 255.0f)).reshape(shape);
  };
  nn::data::Dataset train_ds =
      resident ? nn::data::Dataset::device_batches(block(data.train_images, 0, n_train),
                                                   block(data.train_labels, 0, n_train), device, local_batch, true,
                                                   o.seed, on_device_scaled)
               : nn::data::Dataset::from_tensor_slices(data.train_images.slice(0, n_train),
                                                       data.train_labels.slice(0, n_train))
                     .shard(job.size, job.rank)
                     .shuffle(n_train / job.size + 1, o.seed)
                     .map(normalize)
                     .batch(local_batch);
  if (o.steps > 0) train_ds = train_ds.repeat();
  if (!resident) train_ds = train_ds.prefetch(2);  // the host's pipeline works ahead on its own thread

  if (job.chief()) std::fputs(model.summary().c_str(), stdout);
  std::fflush(stdout);  // seen at once through a pipe or a log file, before the first epoch ends
  nn::OptimizerPtr opt;
  if (opt_name == "adam")
    opt = std::make_shared<nn::Adam>(lr);
  else
    opt = std::make_shared<nn::SGD>(lr);
  // The schedule spans the whole run: every step of every epoch.
  const int64_t shard = n_train / job.size;  // every rank's epoch ends at the shortest shard's end
  const int64_t total_steps = o.steps > 0 ? o.steps : epochs * ((shard + local_batch - 1) / local_batch);
  if (schedule == "cosine") opt->set_schedule(nn::CosineDecay(lr, std::max<int64_t>(1, total_steps)));
  if (schedule == "one-cycle") opt->set_schedule(nn::OneCycle(lr, std::max<int64_t>(2, total_steps)));
  model.compile(opt, classification_loss(model, static_cast<float>(label_smoothing)), {"accuracy"});
  distribute(model, job);  // rank 0's weights everywhere; gradients, logs and moving statistics averaged

  const std::string model_path = out + "/model.nn";
  nn::FitOptions fit;
  fit.epochs(o.steps > 0 ? 1 : static_cast<int>(epochs));
  fit.steps_per_epoch(o.steps > 0 ? o.steps : -1);
  fit.verbose(static_cast<int>(o.verbose));
  const bool validate = n_val > 0;
  fit.precision(precision);
  if (validate)
    fit.validation_data(resident ? nn::data::Dataset::device_batches(block(data.train_images, n_train, n),
                                                                     block(data.train_labels, n_train, n), device, 1000,
                                                                     false, std::nullopt, on_device_scaled)
                                 : nn::data::Dataset::from_tensor_slices(
                                       scaled(data.train_images.slice(n_train, n), model.input_shape()),
                                       data.train_labels.slice(n_train, n))
                                       .shard(job.size, job.rank)
                                       .batch(1000));
  nn::ModelCheckpointOptions ck;
  ck.monitor(validate ? "val_loss" : "loss");
  ck.save_best_only(true);
  auto nan_guard = std::make_shared<nn::TerminateOnNaN>();
  auto stop_on_signal = std::make_shared<StopOnSignal>();
  auto checkpoint = std::make_shared<nn::ModelCheckpoint>(model_path, ck);
  auto epoch_timer = std::make_shared<EpochTimer>();
  fit.callbacks({stop_on_signal, nan_guard, epoch_timer, checkpoint, std::make_shared<RemoveStaleRunFiles>(out, *checkpoint), std::make_shared<nn::TensorBoard>(out + "/logs", 100),
                   std::make_shared<nn::CSVLogger>(out + "/history.csv")});

  std::optional<HistoryGuard> history;
  if (job.chief()) history.emplace(out + "/history.csv", *checkpoint);
  const auto t0 = std::chrono::steady_clock::now();
  if (!g_stop_signal) model.fit(train_ds, fit);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The other ranks of a job stop here: rank 0 saved the model and reports.
  if (!job.chief()) return g_stop_signal ? 128 + g_stop_signal : nan_guard->terminated() ? 1 : 0;
  const int64_t images_per_epoch = o.steps > 0 ? o.steps * batch_size : n_train;
  // A run stopped within an epoch trained on its steps' images, not the whole epoch's.
  const int64_t images = std::min(stop_on_signal->steps() * batch_size,
                                  images_per_epoch * static_cast<int64_t>(epoch_timer->seconds().size()));
  RunRecord record{o.model.empty() ? o.initial_model : o.model, {}, seconds, images, epoch_timer->seconds(),
                   images_per_epoch};
  const auto option = [&](const char* name, std::string value) { record.options.emplace_back(name, std::move(value)); };
  option("model", o.model.empty() ? "fine-tuned from " + o.initial_model : o.model);
  const bool augmented = std::any_of(model.layers().begin(), model.layers().end(), [](const nn::LayerPtr& l) {
    return dynamic_cast<const nn::RandomAugmentation*>(l.get()) != nullptr;
  });
  option("augment", augmented ? "on" : "off");
  option(o.steps > 0 ? "steps" : "epochs", std::to_string(o.steps > 0 ? o.steps : epochs));
  option("batch size", std::to_string(batch_size));
  option("optimizer", fmt::format("{}, learning rate {}, {} schedule", opt_name, lr, schedule));
  option("label smoothing", fmt::format("{}", label_smoothing));
  option("seed", std::to_string(o.seed));
  option("training / validation images", fmt::format("{} / {}", n_train, n_val));
  option("device", nn::backend_for(device).name());
  option("threads", std::to_string(nn::num_threads()));
  if (job.size > 1) option("ranks", std::to_string(job.size));
  option("precision", o.precision);
  option("data", o.data);
  // The record of the run whose model and history the directory holds: written once this run saved a model.
  if (!checkpoint->last_saved().empty()) write_run_record(out + "/run.json", record);
  if (const int sig = g_stop_signal) {
    fmt::print(stderr, "mnist train: stopped by {} after {} steps; {}\n", signal_name(sig), stop_on_signal->steps(),
               checkpoint->last_saved().empty()
                   ? "no model was saved"
                   : fmt::format("the best model so far is in {} (history: {}, logs: {})", checkpoint->last_saved(),
                                 out + "/history.csv", out + "/logs"));
    return 128 + sig;  // the lock is removed on the way out
  }
  if (nan_guard->terminated())
    throw std::runtime_error(fmt::format(
        "training diverged: the loss became NaN or infinite in epoch {}, batch {}{}; try a lower --lr",
        nan_guard->epoch() + 1, nan_guard->batch(),
        checkpoint->last_saved().empty() ? "; no model was saved"
                                         : "; the best model before that is in " + checkpoint->last_saved()));
  if (checkpoint->last_saved().empty())
    throw std::runtime_error(
        fmt::format("no model was saved: {} never improved on its starting value", ck.monitor()));
  fmt::print("training: {:.1f} s, {:.0f} images/s\n{}", seconds, static_cast<double>(images) / seconds,
             exchange_report(job, seconds));

  nn::Model best = nn::load_model(checkpoint->last_saved(), device);
  const nn::Logs test = best.evaluate(scaled(data.test_images, best.input_shape()), data.test_labels, 1000);
  fmt::print("model: {}\nlogs: {} (tensorboard --logdir {})\nhistory: {}\n", model_path, out + "/logs",
             out + "/logs", out + "/history.csv");
  fmt::print("test_loss: {:.4f}\n", test.at("loss"));
  fmt::print("test_accuracy: {:.4f}\n", test.at("accuracy"));
  if (o.report) fmt::print("report: {}\n", write_report(out, model_path, best, data, 1000));
  return 0;
}

}  // namespace mnist
