#pragma once
// A training run as a page people look at (component nn::report): one self-contained HTML file
// that opens offline, with the model summary and the run's options; a chart per logged quantity
// (loss, accuracy, learning rate, ...) for training and validation per epoch; the confusion matrix
// as a heat map; each class's precision, recall and F1 (scikit-learn's classification report);
// the examples the model got most confidently wrong, drawn as images; and the training
// throughput. The charts are drawn by Chart.js (and its matrix chart for the heat map), inlined
// into the file when nn was built, so the page requests nothing from anywhere (its
// Content-Security-Policy forbids it).
//
//   nn::report::RunReport r;
//   r.title = "mnist cnn";
//   r.model_summary = model.summary();
//   r.history = nn::read_history_csv("out/cnn/history.csv");    // or what fit() returned
//   nn::Tensor p = nn::predict_probabilities(model, test_images);
//   r.confusion = nn::confusion_matrix(p, test_labels);
//   r.mistakes = nn::report::most_confident_mistakes(p, test_labels, test_images, 25);
//   nn::report::write_html("out/cnn/report.html", r);
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nn/model/confusion.hpp"
#include "nn/model/logs.hpp"
#include "nn/tensor.hpp"

namespace nn::report {

// An example the model got wrong: its row in the evaluated set, its true and predicted class, the
// probability the model gave the predicted class, and the input drawn as a grayscale image.
struct Mistake {
  int64_t index = 0;
  int64_t label = 0, predicted = 0;
  double probability = 0.0;
  Tensor image;  // (H, W) or (1, H, W), values in [0, 1] (0 black)
};

struct Throughput {
  double seconds = 0.0;              // the whole training
  int64_t images = 0;                // examples trained on, all epochs together
  std::vector<double> epoch_seconds; // each epoch's time, when known
  int64_t images_per_epoch = 0;      // with epoch_seconds: the images/s of each epoch
};

struct RunReport {
  std::string title;                                          // the page's heading
  std::string model_summary;                                  // Model::summary()
  std::vector<std::pair<std::string, std::string>> options;  // the run's settings, shown in order
  History history;                                            // per-epoch logs ("loss", "val_loss", ...)
  Logs test;                                                  // the test split's results ("loss", "accuracy", ...)
  std::optional<ConfusionMatrix> confusion;                  // rows: true class, columns: predicted
  std::vector<std::string> class_names;                      // empty: "0", "1", ...
  std::vector<Mistake> mistakes;
  std::optional<Throughput> throughput;
  std::vector<std::string> notes;                             // shown under the heading (what is missing, ...)
};

// The k rows whose prediction (the argmax of probabilities (N, C)) is wrong with the highest
// probability, most confident first (ties: the lower row), with their images (N, ...) drawn as
// (H, W). Rows with a score that is not finite are left out. Throws std::invalid_argument naming the shapes when they do not agree.
std::vector<Mistake> most_confident_mistakes(const Tensor& probabilities, const Tensor& labels, const Tensor& images,
                                             int64_t k);

// The page, as one string of HTML. Throws std::invalid_argument naming what does not fit (class
// names against the matrix, a mistake's image that is not 2-D).
std::string render_html(const RunReport& report);
// Writes the page atomically (nn/io/atomic_file.hpp): the old file or the new, never a part.
void write_html(const std::string& path, const RunReport& report);

}  // namespace nn::report
