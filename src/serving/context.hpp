#pragma once
// What the route handlers share: the options, the servables, the batcher, the metrics, and the
// helpers that turn results and errors into JSON replies.
#include <nlohmann/json.hpp>
#include <string>

#include "nn/serving/server.hpp"
#include "serving/batcher.hpp"
#include "serving/http_message.hpp"
#include "serving/metrics.hpp"
#include "serving/model_store.hpp"
#include "serving/requests.hpp"

namespace nn::serving::detail {

struct Context {
  ServerOptions options;
  RequestLimits limits;
  // Declared before the store and the batcher, whose threads report to it: it outlives them.
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<ModelStore> store;
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<vision::PixelBudget> decode_budget;  // limits.decode_budget points here

  // The servable for a request's model name and optional version ("" for the latest);
  // RequestError(404) as TF Serving words it when there is none.
  std::shared_ptr<const Servable> servable(const std::string& name, const std::string& version) const;
};

void reply_json(Response& res, int status, const nlohmann::json& body);
void reply_error(Response& res, int status, const std::string& message);
// probabilities (N, C) as nested lists
nlohmann::json rows_of(const Tensor& probabilities);

// Route handlers; each may throw RequestError (the caller replies with its status).
void tf_status(const Context& c, const Request& req, Response& res, const std::string& name,
               const std::string& version);
void tf_metadata(const Context& c, const Request& req, Response& res, const std::string& name,
                 const std::string& version);
void tf_predict(const Context& c, const Request& req, Response& res, const std::string& name,
                const std::string& version);
void kserve_server_metadata(const Context& c, Response& res);
void kserve_model_metadata(const Context& c, Response& res, const std::string& name,
                           const std::string& version);
void kserve_ready(const Context& c, Response& res, const std::string& name, const std::string& version);
void kserve_infer(const Context& c, const Request& req, Response& res, const std::string& name,
                  const std::string& version);
void seed_predict(const Context& c, const Request& req, Response& res);

// The drawing page (page.html, compiled in).
const std::string& page_html();
// GET /report: the report page (nn::report) beside the served version's model file, report.html,
// read when asked for; RequestError(404) when there is none.
void report_page(const Context& c, Response& res);

}  // namespace nn::serving::detail
