// mnist: train and evaluate the classic MNIST models with nn.
//
//   mnist train --data DIR --model softmax|mlp|cnn|fast [options]     (mnist train --help)
//   mnist evaluate --data DIR --model-file F [options]          (mnist evaluate --help)
//   mnist report DIR --data DIR [options]                         (mnist report --help)
//   mnist predict --model-file F PATH... [options]               (mnist predict --help)
//   mnist serve --model-file F | --model-dir D [options]         (mnist serve --help)
//   mnist export --model-file F --format onnx --out model.onnx   (mnist export --help)
//
// Exit status: 0 success, 1 the work failed (bad data, a diverged run, ...), 2 a usage error.
#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "cli.hpp"
#include "commands.hpp"
#include "job.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Train, evaluate and use the classic MNIST models with nn.", "mnist"};
  app.require_subcommand(1);
  mnist::TrainOptions train;
  mnist::EvaluateOptions evaluate;
  mnist::ReportOptions report;
  mnist::PredictOptions predict;
  mnist::ServeOptions serve;
  mnist::ExportOptions export_options;
  CLI::App* train_cmd = mnist::add_train_command(app, train);
  CLI::App* evaluate_cmd = mnist::add_evaluate_command(app, evaluate);
  CLI::App* report_cmd = mnist::add_report_command(app, report);
  CLI::App* predict_cmd = mnist::add_predict_command(app, predict);
  CLI::App* serve_cmd = mnist::add_serve_command(app, serve);
  CLI::App* export_cmd = mnist::add_export_command(app, export_options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const auto subs = app.get_subcommands();
    fmt::print(stderr, "mnist: {}\nRun 'mnist{} --help' for usage.\n", e.what(),
               subs.empty() ? "" : " " + subs.front()->get_name());
    return 2;
  }
  try {
    if (*train_cmd) return mnist::run_train(train);
    if (*evaluate_cmd) return mnist::run_evaluate(evaluate);
    if (*report_cmd) return mnist::run_report(report);
    if (*predict_cmd) return mnist::run_predict(predict);
    if (*serve_cmd) return mnist::run_serve(serve);
    if (*export_cmd) return mnist::run_export(export_options);
  } catch (const mnist::UsageError& e) {
    mnist::end_job_on_error(e.what(), 2);  // one rank of several: all end
    fmt::print(stderr, "mnist: {}\nRun 'mnist --help' for usage.\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    mnist::end_job_on_error(e.what(), 1);
    fmt::print(stderr, "mnist: {}\n", e.what());
    return 1;
  }
  return 2;
}
