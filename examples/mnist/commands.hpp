#pragma once
// The mnist subcommands: each registers its options on a CLI11 app and runs from the parsed
// values. A run returns the process's exit status or throws (std::exception: status 1,
// UsageError: status 2).
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.hpp"

namespace mnist {

struct TrainOptions {
  std::string data, model, initial_model, optimizer, out, lr_schedule, augment, device = "cpu";  // augment: "", on, off
  int64_t epochs = 0, steps = 0, batch_size = 0, validation_size = 5000, threads = 0, verbose = 1;
  double lr = 0.0, label_smoothing = -1.0;  // lr_schedule empty, label_smoothing < 0: per model
  uint64_t seed = 42;
  std::string precision = "float32";
  bool report = false;  // write OUT/report.html at the end
  GpuOptions gpu;
};
CLI::App* add_train_command(CLI::App& app, TrainOptions& o);
int run_train(const TrainOptions& o);

struct EvaluateOptions {
  std::string data, model_file, device = "cpu";
  int64_t batch_size = 1000, threads = 0;
  bool report = false;  // the per-class table and the confusion matrix too
  GpuOptions gpu;
};
CLI::App* add_evaluate_command(CLI::App& app, EvaluateOptions& o);
int run_evaluate(const EvaluateOptions& o);

struct ReportOptions {
  std::string dir, data, model_file, device = "cpu";
  int64_t batch_size = 1000, threads = 0;
  GpuOptions gpu;
};
CLI::App* add_report_command(CLI::App& app, ReportOptions& o);
int run_report(const ReportOptions& o);

struct PredictOptions {
  std::string model_file, output, debug_dir, device = "cpu";
  std::vector<std::string> paths;
  bool json = false;
  int64_t batch_size = 256, threads = 0, max_decoding_pixels = 64'000'000;
  GpuOptions gpu;
};
CLI::App* add_predict_command(CLI::App& app, PredictOptions& o);
int run_predict(const PredictOptions& o);

struct ServeOptions {
  std::string model_file, model_dir, host = "127.0.0.1", model_name = "mnist", api_key, image_transform = "mnist", device = "cpu";
  int64_t port = 8501, threads = 8, max_batch_size = 64, batch_timeout_us = 1000, max_body_bytes = 10 << 20,
          max_instances = 1024, max_image_pixels = 40'000'000, timeout = 5, max_connections = 512,
          max_connections_per_client = 128, max_enqueued = 4096, max_decoding_pixels = 64'000'000;
  bool no_batching = false;
  double poll_seconds = 1.0;
  GpuOptions gpu;
};
CLI::App* add_serve_command(CLI::App& app, ServeOptions& o);
int run_serve(const ServeOptions& o);

struct ExportOptions {
  std::string model_file, format = "onnx", out;
};
CLI::App* add_export_command(CLI::App& app, ExportOptions& o);
int run_export(const ExportOptions& o);

}  // namespace mnist
