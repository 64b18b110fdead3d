#pragma once
// The mnist subcommands: each registers its options on a CLI11 app and runs from the parsed
// values. A run returns the process's exit status or throws (std::exception: status 1,
// UsageError: status 2).
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace mnist {

struct TrainOptions {
  std::string data, model, optimizer, out;
  int64_t epochs = 0, steps = 0, batch_size = 0, validation_size = 5000, threads = 0, verbose = 1;
  double lr = 0.0;
  uint64_t seed = 42;
};
CLI::App* add_train_command(CLI::App& app, TrainOptions& o);
int run_train(const TrainOptions& o);

struct EvaluateOptions {
  std::string data, model_file;
  int64_t batch_size = 1000, threads = 0;
};
CLI::App* add_evaluate_command(CLI::App& app, EvaluateOptions& o);
int run_evaluate(const EvaluateOptions& o);

}  // namespace mnist
