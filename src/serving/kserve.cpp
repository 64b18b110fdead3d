// KServe's Open Inference Protocol v2 (kserve docs/predict-api/v2/required_api.md), REST.
#include <fmt/format.h>

#include "serving/context.hpp"

namespace nn::serving::detail {

using json = nlohmann::json;

void kserve_server_metadata(const Context&, Response& res) {
  reply_json(res, 200, json{{"name", "nn"}, {"version", "0.1.0"}, {"extensions", json::array()}});
}

void kserve_model_metadata(const Context& c, Response& res, const std::string& name,
                           const std::string& version) {
  const auto s = c.servable(name, version);
  std::vector<int64_t> in_shape{-1};
  in_shape.insert(in_shape.end(), s->input_shape.begin(), s->input_shape.end());
  reply_json(res, 200,
             json{{"name", name},
                  {"versions", {std::to_string(s->version)}},
                  {"platform", "nn"},
                  {"inputs", {{{"name", "images"}, {"datatype", "FP32"}, {"shape", in_shape}}}},
                  {"outputs", {{{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {-1, s->classes}}}}}});
}

void kserve_ready(const Context& c, Response& res, const std::string& name, const std::string& version) {
  c.servable(name, version);  // 404 when not ready
  res.status = 200;           // "200 indicates true"; the body is empty
}

void kserve_infer(const Context& c, const Request& req, Response& res, const std::string& name,
                  const std::string& version) {
  const auto s = c.servable(name, version);
  const Batch b = parse_kserve_infer(parse_json(req.body), s->input_shape, c.limits);
  const Prediction p = c.batcher->predict(s, b.x);
  const std::vector<float> data = p.probabilities.to_vector();
  json reply{{"model_name", name},
             {"model_version", std::to_string(p.version)},
             {"outputs", {{{"name", "probabilities"},
                           {"shape", {p.probabilities.dim(0), p.probabilities.dim(1)}},
                           {"datatype", "FP32"},
                           {"data", data}}}}};
  if (!b.id.empty()) reply["id"] = b.id;
  reply_json(res, 200, reply);
}

}  // namespace nn::serving::detail
