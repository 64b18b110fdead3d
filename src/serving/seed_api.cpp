// The seeds' two clients: POST / with JSON {"image": [784 numbers]}, or a multipart form with the
// image file in the field "images". Both get {"predicted_label": "7", "scores": [["7", 0.998],
// ... the top 5]}; with ?include_image=1 also "image", the 28 x 28 input the model saw (the page
// shows it).
#include <algorithm>

#include "nn/model/classify.hpp"
#include "serving/context.hpp"

namespace nn::serving::detail {

using json = nlohmann::json;

namespace {

json top5(const Tensor& row) {  // row: (1, C) probabilities
  const std::vector<ClassScore> top = top_classes(row, 5).front();
  json scores = json::array();
  for (const ClassScore& c : top) scores.push_back({std::to_string(c.label), c.probability});
  return json{{"predicted_label", std::to_string(top.front().label)}, {"scores", scores}};
}

}  // namespace

void seed_predict(const Context& c, const Request& req, Response& res) {
  const auto s = c.servable(c.options.model_name(), "");
  Tensor x;
  if (req.is_multipart_form_data()) {
    const char* field = nullptr;
    for (const char* f : {"images", "image", "file"})
      if (req.has_file(f)) {
        field = f;
        break;
      }
    if (!field) throw RequestError(400, "expected the image file in the form field \"images\"");
    const auto file = req.file(field);
    x = image_instance(file.content, file.filename.empty() ? "the uploaded file" : file.filename, s->input_shape, c.limits);
  } else {
    const std::string type = req.header("Content-Type");
    // JSON, also under curl -d's default content type (as TF Serving accepts it).
    if (!type.empty() && type.rfind("application/json", 0) != 0 && type.rfind("application/x-www-form-urlencoded", 0) != 0)
      throw RequestError(415, "send JSON {\"image\": [784 numbers]} or a multipart form (Content-Type " +
                                  (type.empty() ? std::string("missing") : "'" + type + "'") + ")");
    x = parse_seed_json(parse_json(req.body), s->input_shape, c.limits).x;
  }
  const Prediction p = c.batcher->predict(s, x);
  json reply = top5(p.probabilities.slice(0, 1));
  if (req.has_param("include_image") && req.param("include_image") != "0" && x.numel() == 28 * 28) {
    reply["image"] = rows_of(x.reshape({28, 28}));
  }
  reply_json(res, 200, reply);
}

}  // namespace nn::serving::detail
