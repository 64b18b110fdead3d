#include "nn/model/callbacks/model_checkpoint.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/io/model_file.hpp"
#include "nn/model/sequential.hpp"

namespace nn {

std::string format_checkpoint_path(const std::string& pattern, int epoch, const Logs& logs) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    const size_t close = pattern.find('}', i);
    if (close == std::string::npos) throw std::invalid_argument("checkpoint path '" + pattern + "': unclosed '{'");
    const std::string field = pattern.substr(i + 1, close - i - 1);
    const size_t colon = field.find(':');
    const std::string key = field.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    double value;
    if (key == "epoch") {
      value = epoch + 1;
    } else if (auto v = find_log(logs, key)) {
      value = *v;
    } else {
      std::string keys = "epoch";
      for (const auto& [k, v2] : logs) keys += ", " + k;
      throw std::invalid_argument("checkpoint path '" + pattern + "': unknown key '" + key + "' (have " + keys + ")");
    }
    const std::string f = "{:" + spec + "}";
    if (!spec.empty() && (spec.back() == 'd' || spec.back() == 'x'))
      out += fmt::format(fmt::runtime(f), static_cast<int64_t>(std::llround(value)));
    else if (key == "epoch" && spec.empty())
      out += std::to_string(epoch + 1);
    else
      out += fmt::format(fmt::runtime(f), value);
    i = close;
  }
  return out;
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : filepath_(std::move(filepath)), o_(std::move(options)), monitor_(o_.monitor(), o_.mode(), 0.0),
      best_(o_.initial_value_threshold() ? *o_.initial_value_threshold() : monitor_.worst()) {
  if (filepath_.empty()) throw std::invalid_argument("ModelCheckpoint: empty file path");
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  const std::string path = format_checkpoint_path(filepath_, epoch, logs);
  if (o_.save_best_only()) {
    const auto current = find_log(logs, monitor_.key());
    if (!current) {
      fmt::print(stderr, "ModelCheckpoint: can save best model only with '{}' available, skipping\n", monitor_.key());
      return;
    }
    if (!monitor_.improved(*current, best_)) {
      if (o_.verbose() > 0)
        fmt::print("\nEpoch {}: {} did not improve from {:.5f}\n", epoch + 1, monitor_.key(), best_);
      return;
    }
    if (o_.verbose() > 0)
      fmt::print("\nEpoch {}: {} improved from {:.5f} to {:.5f}, saving model to {}\n", epoch + 1, monitor_.key(),
                 best_, *current, path);
    best_ = *current;
  } else if (o_.verbose() > 0) {
    fmt::print("\nEpoch {}: saving model to {}\n", epoch + 1, path);
  }
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  if (o_.save_weights_only())
    io::save_weights(model(), path);
  else
    io::save_model(model(), path);
  last_saved_ = path;
}

}  // namespace nn
