#pragma once
// Streams each epoch's logs to a CSV file: a header "epoch,<keys in sorted order>", then one
// row per epoch (0-based epoch, as Keras's CSVLogger). append=true continues an existing file
// without repeating its header. Rows are flushed as they are written; the file is opened (and,
// without append, emptied) only when the first row is ready, so a run that fails before that
// leaves an existing file intact.
#include <fstream>
#include <string>
#include <vector>

#include "nn/arg.hpp"
#include "nn/model/callback.hpp"

namespace nn {

//   nn::CSVLogger("history.csv")   nn::CSVLogger(nn::CSVLoggerOptions("history.csv").append(true))
class CSVLoggerOptions {
 public:
  CSVLoggerOptions(std::string filename) : filename_(std::move(filename)) {}  // NOLINT
  NN_ARG(std::string, filename);
  NN_ARG(char, separator) = ',';
  NN_ARG(bool, append) = false;
};

class CSVLogger : public Callback {
 public:
  bool writes() const override { return true; }
  explicit CSVLogger(CSVLoggerOptions options);
  explicit CSVLogger(std::string filename, char separator = ',', bool append = false)
      : CSVLogger(CSVLoggerOptions(std::move(filename)).separator(separator).append(append)) {}
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  bool wants_batch_logs(int64_t) const override { return false; }
  void on_train_end(const Logs& logs) override;

 private:
  void open();

  std::string filename_;
  char separator_;
  bool append_;
  std::ofstream file_;
  std::vector<std::string> keys_;
  bool need_header_ = true;
};

}  // namespace nn
