#include "nn/model/callbacks/csv_logger.hpp"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

namespace nn {

CSVLogger::CSVLogger(CSVLoggerOptions o) : filename_(o.filename()), separator_(o.separator()), append_(o.append()) {
  if (filename_.empty()) throw std::invalid_argument("CSVLogger: empty file name");
}

void CSVLogger::on_train_begin(const Logs&) {
  file_.close();
  keys_.clear();
}

// Opened at the first row, not at train begin: a run that fails before it has anything to write
// leaves an existing file as it was.
void CSVLogger::open() {
  namespace fs = std::filesystem;
  std::error_code ec;
  need_header_ = !(append_ && fs::exists(filename_, ec) && fs::file_size(filename_, ec) > 0);
  const auto parent = fs::path(filename_).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  file_.open(filename_, append_ ? std::ios::app : std::ios::trunc);
  if (!file_) throw std::runtime_error("CSVLogger: cannot open '" + filename_ + "' for writing");
}

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  if (!file_.is_open()) open();
  if (keys_.empty())
    for (const auto& [k, v] : logs) keys_.push_back(k);  // std::map: sorted, as Keras
  if (need_header_) {
    file_ << "epoch";
    for (const auto& k : keys_) file_ << separator_ << k;
    file_ << '\n';
    need_header_ = false;
  }
  file_ << epoch;
  for (const auto& k : keys_) {
    auto it = logs.find(k);
    file_ << separator_ << (it == logs.end() ? std::string("NA") : fmt::format("{}", it->second));
  }
  file_ << '\n';
  file_.flush();
  if (!file_) throw std::runtime_error("CSVLogger: writing '" + filename_ + "' failed");
}

void CSVLogger::on_train_end(const Logs&) { file_.close(); }

}  // namespace nn
