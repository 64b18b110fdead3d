#pragma once
// What `mnist train` records of a run beside its model (OUT/run.json) for `mnist report`: the
// options it ran with and how long it took.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mnist {

struct RunRecord {
  std::string model;                                          // the architecture, or the model fine-tuned
  std::vector<std::pair<std::string, std::string>> options;  // as the report shows them, in order
  double seconds = 0.0;                                       // training (fit), validation included
  int64_t images = 0;                                         // training images, all epochs together
  std::vector<double> epoch_seconds;                          // each epoch's time
  int64_t images_per_epoch = 0;
};

// Written atomically; read back with every field checked (std::runtime_error naming the file and
// the field).
void write_run_record(const std::string& path, const RunRecord& record);
RunRecord read_run_record(const std::string& path);

}  // namespace mnist
