#include "serving/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>

namespace nn::serving::detail {

struct Metrics::Impl {
  std::string model;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter().Name("nn_http_requests_total").Help("HTTP requests by route and status code").Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency = prometheus::BuildHistogram()
                                                           .Name("nn_http_request_duration_seconds")
                                                           .Help("Time from a request's first byte to its answer ready")
                                                           .Register(*registry);
  prometheus::Histogram& batch_size = prometheus::BuildHistogram()
                                          .Name("nn_batch_size")
                                          .Help("Rows per forward pass")
                                          .Register(*registry)
                                          .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
  prometheus::Gauge& queue =
      prometheus::BuildGauge().Name("nn_batch_queue_rows").Help("Rows waiting for the model").Register(*registry).Add({});
  prometheus::Counter& predictions =
      prometheus::BuildCounter().Name("nn_predictions_total").Help("Rows predicted").Register(*registry).Add({});
  prometheus::Counter& overloaded = prometheus::BuildCounter()
                                        .Name("nn_overloaded_connections_total")
                                        .Help("Connections refused with 503 at a connection limit")
                                        .Register(*registry)
                                        .Add({});
  prometheus::Gauge& connections =
      prometheus::BuildGauge().Name("nn_http_connections").Help("Connections open").Register(*registry).Add({});
  prometheus::Gauge& decoding = prometheus::BuildGauge()
                                    .Name("nn_decoding_pixels")
                                    .Help("Pixels of uploaded images decoded and held now")
                                    .Register(*registry)
                                    .Add({});
  prometheus::Gauge& decoding_peak = prometheus::BuildGauge()
                                         .Name("nn_decoding_pixels_peak")
                                         .Help("The most pixels of uploaded images held at once")
                                         .Register(*registry)
                                         .Add({});
  prometheus::Family<prometheus::Gauge>& version =
      prometheus::BuildGauge().Name("nn_model_version").Help("The model version serving").Register(*registry);
  std::mutex mutex;  // Family::Add is thread-safe; the latency buckets are created under this
};

Metrics::Metrics(std::string model_name) : impl_(std::make_unique<Impl>()) { impl_->model = std::move(model_name); }
Metrics::~Metrics() = default;

void Metrics::request(const std::string& route, int status, double seconds) {
  impl_->requests.Add({{"route", route}, {"code", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                0.05,   0.1,   0.25,   0.5,   1,    2.5};
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->latency.Add({{"route", route}}, kBuckets).Observe(seconds);
}

void Metrics::batch(int64_t rows, int64_t queued) {
  impl_->batch_size.Observe(static_cast<double>(rows));
  impl_->predictions.Increment(static_cast<double>(rows));
  impl_->queue.Set(static_cast<double>(queued));
}

void Metrics::overloaded() { impl_->overloaded.Increment(); }

void Metrics::connections(size_t open) { impl_->connections.Set(static_cast<double>(open)); }

void Metrics::decoding(int64_t pixels, int64_t peak) {
  impl_->decoding.Set(static_cast<double>(pixels));
  impl_->decoding_peak.Set(static_cast<double>(peak));
}

void Metrics::model_version(int64_t version) {
  impl_->version.Add({{"model", impl_->model}}).Set(static_cast<double>(version));
}

std::string Metrics::text() const { return prometheus::TextSerializer().Serialize(impl_->registry->Collect()); }

}  // namespace nn::serving::detail
