#pragma once
// The server's Prometheus metrics (prometheus-cpp, text exposition format at GET /metrics):
//   nn_http_requests_total{route, code}           counter
//   nn_http_request_duration_seconds{route}        histogram
//   nn_batch_size                                  histogram of rows per forward pass
//   nn_batch_queue_rows                            gauge: rows waiting for the model
//   nn_predictions_total                           counter: rows predicted
//   nn_overloaded_connections_total                counter: connections refused with 503
//   nn_http_connections                            gauge: connections open
//   nn_decoding_pixels, nn_decoding_pixels_peak    gauges: image pixels decoded now, and at most
//   nn_model_version{model}                        gauge: the version serving
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace nn::serving::detail {

class Metrics {
 public:
  explicit Metrics(std::string model_name);
  ~Metrics();
  void request(const std::string& route, int status, double seconds);
  void batch(int64_t rows, int64_t queued);
  void overloaded();
  void connections(size_t open);
  void decoding(int64_t pixels, int64_t peak);
  void model_version(int64_t version);
  std::string text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nn::serving::detail
