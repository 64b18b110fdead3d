#pragma once
// Keras's progress bar (ProgbarLogger). verbose 1: on a terminal a bar redrawn in place with
// ETA, loss and metrics; when stdout is not a terminal, one line per epoch instead (no control
// characters in logs). verbose 2: one line per epoch. fit() adds one when verbose > 0.
#include <chrono>
#include <cstdio>

#include "nn/arg.hpp"
#include "nn/model/callback.hpp"

namespace nn {

class ProgressBarOptions {
 public:
  using File = std::FILE*;
  ProgressBarOptions(int verbose = 1) : verbose_(verbose) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(int, verbose);              // 1: a bar (on a terminal), 2: a line per epoch
  NN_ARG(File, out) = stdout;        // where it writes
};

class ProgressBar : public Callback {
 public:
  bool writes() const override { return true; }
  explicit ProgressBar(ProgressBarOptions options = {});
  void on_epoch_begin(int epoch, const Logs& logs) override;
  void on_train_batch_end(int64_t batch, const Logs& logs) override;
  bool wants_batch_logs(int64_t batch) const override;  // when the bar is redrawn (every 0.1 s)
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  void draw(int64_t done, const Logs& logs, bool final_line);

  int verbose_;
  std::FILE* out_;
  bool interactive_;
  int64_t steps_done_ = 0;
  std::chrono::steady_clock::time_point epoch_start_, last_draw_;
};

// "loss: 0.1234 - accuracy: 0.9876" in Keras's number style; keys in order, skipping none.
std::string format_logs(const Logs& logs);

}  // namespace nn
