// mnist report: a training run as one HTML page (nn::report), from the directory `mnist train`
// wrote: the model, history.csv and run.json.
#include "report.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <nn/nn.hpp>
#ifdef NN_WITH_REPORT
#include <nn/report/report.hpp>
#endif

#include "cli.hpp"
#include "commands.hpp"
#include "data.hpp"
#include "model_files.hpp"
#include "run_lock.hpp"
#include "run_record.hpp"

namespace mnist {

CLI::App* add_report_command(CLI::App& app, ReportOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "report", std::string("Write DIR/report.html: a training run's curves, test confusion matrix, per-class figures, "
                            "most confidently wrong digits, throughput, options and model, in one page that opens offline") +
#ifdef NN_WITH_REPORT
                    ""
#else
                    " (not in this build: nn was built without report pages, nn::report)"
#endif
  );
  cmd->add_option("dir", o.dir, "The directory 'mnist train --out' wrote (model.nn, history.csv, run.json)")->required();
  cmd->add_option("--data", o.data, "Directory with the MNIST IDX files (raw or .gz)")->required();
  cmd->add_option("--model-file", o.model_file, "The model to report on (default: DIR/model.nn)");
  cmd->add_option("--batch-size", o.batch_size, "Images per forward pass")
      ->check(integer_in(1, 1 << 20))
      ->capture_default_str();
  add_threads_option(cmd, o.threads);
  add_device_option(cmd, o.device);
  add_gpu_options(cmd, o.gpu);
  return cmd;
}

int run_report(const ReportOptions& o) {
  apply_gpu_options(o.gpu);
  if (o.threads > 0) nn::set_num_threads(static_cast<int>(o.threads));
  std::error_code ec;
  if (!std::filesystem::is_directory(o.dir, ec)) throw std::runtime_error(o.dir + ": not a directory");
  const RunLock lock(o.dir);  // not beside a run still writing its model and history
  const std::string model_file = o.model_file.empty() ? o.dir + "/model.nn" : o.model_file;
  nn::Model model = load_model_file(model_file, nn::parse_device(o.device));
  const nn::data::Mnist data = load_test_split(o.data, model, model_file);
  fmt::print("report: {}\n", write_report(o.dir, model_file, model, data, o.batch_size));
  return 0;
}

#ifdef NN_WITH_REPORT
bool reports_available() { return true; }

std::string write_report(const std::string& dir, const std::string& model_file, nn::Model& model,
                         const nn::data::Mnist& data, int64_t batch_size) {
  namespace fs = std::filesystem;
  nn::report::RunReport r;
  r.title = "mnist " + (model.name().empty() ? fs::path(model_file).stem().string() : model.name());
  r.model_summary = model.summary();
  std::error_code ec;
  const std::string history = dir + "/history.csv", record = dir + "/run.json";
  if (fs::exists(history, ec))
    r.history = nn::read_history_csv(history);
  else
    r.notes.push_back("No history.csv beside the model: no training curves.");
  if (fs::exists(record, ec)) {
    const RunRecord run = read_run_record(record);
    r.options = run.options;
    r.throughput = nn::report::Throughput{run.seconds, run.images, run.epoch_seconds, run.images_per_epoch};
  } else {
    r.notes.push_back("No run.json beside the model (mnist train writes it): the run's options and throughput are unknown.");
  }
  r.options.emplace_back("model file", model_file);

  compile_for_evaluation(model);
  const nn::Tensor& images = data.test_images;
  const nn::Tensor x = scaled(images, model.input_shape());
  const nn::Logs test = model.evaluate(x, data.test_labels, batch_size);
  r.test = {{"loss", test.at("loss")}, {"accuracy", test.at("accuracy")}};
  const nn::Tensor probabilities = nn::predict_probabilities(model, x, batch_size);
  r.confusion = nn::confusion_matrix(probabilities, data.test_labels);
  r.mistakes = nn::report::most_confident_mistakes(probabilities, data.test_labels,
                                                   scaled(images, {images.dim(1), images.dim(2)}), 25);
  const std::string path = dir + "/report.html";
  nn::report::write_html(path, r);
  return path;
}
#else
bool reports_available() { return false; }

std::string write_report(const std::string&, const std::string&, nn::Model&, const nn::data::Mnist&, int64_t) {
  throw std::runtime_error(
      "this mnist was built without report pages (nn::report): their charting library was not installed when nn "
      "was built (npm ci --prefix src/report, then build again)");
}
#endif

}  // namespace mnist
