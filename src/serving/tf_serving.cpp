// TensorFlow Serving's REST API: model status, metadata and predict, with its JSON shapes and
// error codes (tensorflow_serving/g3doc/api_rest.md).
#include <fmt/format.h>

#include "serving/context.hpp"
#include "util/decimal.hpp"

namespace nn::serving::detail {

using json = nlohmann::json;

namespace {
// A version from a URL: a strict non-negative decimal, else TF Serving's 400.
int64_t parse_version(const std::string& version) {
  const std::optional<int64_t> v = nn::detail::parse_decimal(version);
  if (!v) throw RequestError(400, "Failed to convert version: " + version + " to numeric.");
  return *v;
}
}  // namespace

std::shared_ptr<const Servable> Context::servable(const std::string& name, const std::string& version) const {
  const int64_t v = version.empty() ? -1 : parse_version(version);
  const auto s = store->current();
  const std::string spec = version.empty() ? fmt::format("Latest({})", name) : fmt::format("Specific({}, {})", name, version);
  if (name != options.model_name() || !s || (v >= 0 && v != s->version))
    throw RequestError(404, "Servable not found for request: " + spec);
  return s;
}

void reply_json(Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(Response& res, int status, const std::string& message) {
  reply_json(res, status, json{{"error", message}});
}

json rows_of(const Tensor& p) {
  const std::vector<float> v = p.to_vector();
  const int64_t rows = p.dim(0), cols = p.numel() / std::max<int64_t>(1, rows);
  json out = json::array();
  for (int64_t r = 0; r < rows; ++r)
    out.push_back(std::vector<float>(v.begin() + r * cols, v.begin() + (r + 1) * cols));
  return out;
}

void tf_status(const Context& c, const Request&, Response& res, const std::string& name,
               const std::string& version) {
  const int64_t wanted = version.empty() ? -1 : parse_version(version);
  if (name != c.options.model_name())
    throw RequestError(404, "Could not find any versions of model " + name);
  json versions = json::array();
  for (const VersionStatus& s : c.store->statuses()) {
    if (wanted >= 0 && s.version != wanted) continue;
    versions.push_back({{"version", std::to_string(s.version)},
                        {"state", s.state},
                        {"status", {{"error_code", s.error_code}, {"error_message", s.error_message}}}});
  }
  if (versions.empty()) throw RequestError(404, "Could not find version " + version + " of model " + name);
  reply_json(res, 200, json{{"model_version_status", versions}});
}

void tf_metadata(const Context& c, const Request&, Response& res, const std::string& name,
                 const std::string& version) {
  const auto s = c.servable(name, version);
  auto tensor = [](const std::string& tensor_name, const Shape& shape) {
    json dims = json::array({{{"size", "-1"}, {"name", ""}}});
    for (int64_t d : shape) dims.push_back({{"size", std::to_string(d)}, {"name", ""}});
    return json{{"dtype", "DT_FLOAT"}, {"tensor_shape", {{"dim", dims}, {"unknown_rank", false}}}, {"name", tensor_name}};
  };
  const json signature = {{"inputs", {{"images", tensor("serving_default_images:0", s->input_shape)}}},
                          {"outputs", {{"probabilities", tensor("StatefulPartitionedCall:0", {s->classes})}}},
                          {"method_name", "tensorflow/serving/predict"}};
  reply_json(res, 200,
             json{{"model_spec", {{"name", name}, {"signature_name", ""}, {"version", std::to_string(s->version)}}},
                  {"metadata", {{"signature_def", {{"signature_def", {{"serving_default", signature}}}}}}}});
}

void tf_predict(const Context& c, const Request& req, Response& res, const std::string& name,
                const std::string& version) {
  const auto s = c.servable(name, version);
  const Batch b = parse_tf_predict(parse_json(req.body), s->input_shape, c.limits);
  const Prediction p = c.batcher->predict(s, b.x);
  reply_json(res, 200, json{{b.columnar ? "outputs" : "predictions", rows_of(p.probabilities)}});
}

}  // namespace nn::serving::detail
