#pragma once
// Reading back what CSVLogger wrote: a header "epoch,<key>,<key>...", then one row per epoch.
// "NA" (a key an epoch did not log) reads as NaN. A file continued with append=true reads as its
// rows one after another, each with the epoch number its run gave it (so epochs may repeat).
//
//   nn::History h = nn::read_history_csv("out/cnn/history.csv");
//   const std::vector<double>& val_loss = h.history.at("val_loss");
#include <string>
#include <string_view>

#include "nn/model/logs.hpp"

namespace nn {

// Throws std::runtime_error naming the file, and the line and column of a field that is not a
// number, a row of the wrong length, a missing or repeated header field, or a file over 64 MiB.
History read_history_csv(const std::string& path, char separator = ',');
// The same from the file's text; `name` stands for the file in messages.
History parse_history_csv(std::string_view text, const std::string& name, char separator = ',');

}  // namespace nn
