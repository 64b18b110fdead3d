#pragma once
// Logs: the named numbers a training step, an epoch or an evaluation produces ("loss",
// "accuracy", "val_loss", "learning_rate", ...), as Keras passes them to callbacks.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nn {

using Logs = std::map<std::string, double>;

inline std::optional<double> find_log(const Logs& logs, const std::string& key) {
  auto it = logs.find(key);
  if (it == logs.end()) return std::nullopt;
  return it->second;
}

// What fit() returns: the per-epoch logs, column by column (Keras's History.history).
struct History {
  std::vector<int> epochs;                              // 0-based epoch indices
  std::map<std::string, std::vector<double>> history;  // key -> one value per epoch
  void append(int epoch, const Logs& logs) {
    epochs.push_back(epoch);
    for (const auto& [k, v] : logs) history[k].push_back(v);
  }
};

}  // namespace nn
