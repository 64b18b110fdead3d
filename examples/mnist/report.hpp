#pragma once
// The report page of a training run (nn::report): `mnist report DIR` and `mnist train --report`.
#include <cstdint>
#include <string>

#include <nn/data/mnist.hpp>
#include <nn/model/model.hpp>

namespace mnist {

// Whether this build writes report pages (nn::report was built: its charting library was installed).
bool reports_available();

// Writes DIR/report.html for `model` (read from model_file) evaluated on the test split of `data`:
// the test loss and accuracy, the confusion matrix, each class's precision, recall and F1 and the
// 25 digits it got most confidently wrong; with DIR/history.csv's curves and DIR/run.json's
// options and throughput where they are (the page says what was missing). Returns the page's path.
std::string write_report(const std::string& dir, const std::string& model_file, nn::Model& model,
                         const nn::data::Mnist& data, int64_t batch_size);

}  // namespace mnist
