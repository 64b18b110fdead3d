#include "serving/requests.hpp"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "nn/vision/mnist_form.hpp"

namespace nn::serving::detail {
namespace {

using json = nlohmann::json;

[[noreturn]] void bad(const std::string& what) { throw RequestError(400, what); }

// Appends the numbers of a (nested) JSON array in row-major order, checking that it is
// rectangular; `shape` receives its extents. At most `budget` numbers.
void flatten(const json& v, std::vector<float>& out, Shape& shape, size_t depth, size_t budget, const std::string& what) {
  if (depth > 8) bad(what + " is nested too deeply");
  if (v.is_number()) {
    if (depth < shape.size()) bad(what + " is not rectangular (a number where a list was expected)");
    if (depth == 0 && !shape.empty()) bad(what + " is not rectangular");
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 1e30) bad(what + " holds a number that is not finite");
    if (out.size() >= budget) bad(what + " holds too many numbers");
    out.push_back(static_cast<float>(d));
    return;
  }
  if (!v.is_array()) bad(what + ": expected numbers in (nested) lists, found " + std::string(v.type_name()));
  if (depth == shape.size()) {
    if (!out.empty()) bad(what + " is not rectangular");
    shape.push_back(static_cast<int64_t>(v.size()));
  } else if (shape[depth] != static_cast<int64_t>(v.size())) {
    bad(what + " is not rectangular");
  }
  for (const auto& e : v) flatten(e, out, shape, depth + 1, budget, what);
}

// (n, *input_shape)
Shape batched(int64_t n, const Shape& input_shape) {
  Shape s{n};
  s.insert(s.end(), input_shape.begin(), input_shape.end());
  return s;
}

Tensor to_input(const std::vector<float>& values, int64_t n, const Shape& input_shape) {
  return Tensor::from_vector(batched(n, input_shape), values);
}

// One instance: numbers (any nesting of numel(input_shape) of them) or {"b64": image}.
void instance(const json& instance, const Shape& input_shape, const RequestLimits& limits, int64_t& pixels_left,
              std::vector<float>& out, const std::string& what) {
  const auto per = static_cast<size_t>(numel(input_shape));
  const json* unwrapped = &instance;  // {"<input name>": ...} around the value, at any depth
  while (unwrapped->is_object() && unwrapped->size() == 1 && !unwrapped->contains("b64"))
    unwrapped = &unwrapped->begin().value();
  const json& v = *unwrapped;
  if (v.is_object()) {
    if (v.size() == 1 && v.contains("b64")) {
      if (!v["b64"].is_string()) bad(what + ": \"b64\" must be a string");
      const Tensor x = image_instance(base64_decode(v["b64"].get_ref<const std::string&>()), what, input_shape, limits,
                                      &pixels_left);
      const auto xs = x.to_vector();
      out.insert(out.end(), xs.begin(), xs.end());
      return;
    }
    bad(what + ": an object instance must hold exactly one input (the model has one)");
  }
  std::vector<float> values;
  Shape shape;
  flatten(v, values, shape, 0, per, what);
  if (values.size() != per)
    bad(fmt::format("{} has {} numbers of shape {}; the model takes {} ({} or {})", what, values.size(),
                    to_string(shape), per, to_string(input_shape), to_string(Shape{static_cast<int64_t>(per)})));
  out.insert(out.end(), values.begin(), values.end());
}

void check_count(size_t n, const RequestLimits& limits) {
  if (n == 0) bad("no instances in the request");
  if (static_cast<int64_t>(n) > limits.max_instances)
    throw RequestError(413, fmt::format("{} instances in one request, more than the limit of {}", n, limits.max_instances));
}

}  // namespace

json parse_json(std::string_view body) {
  // Nesting is bounded while parsing, before a deep document is built: every request format
  // nests a few levels (an image's rows in an instance in a list in the body).
  static constexpr int kMaxDepth = 32;
  const json::parser_callback_t bounded = [](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth >= kMaxDepth)
      bad(fmt::format("the JSON nests deeper than {} levels", kMaxDepth));
    return true;
  };
  try {
    return json::parse(body.begin(), body.end(), bounded);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e400
    bad(std::string("malformed JSON: ") + e.what());
  }
}

std::string base64_decode(std::string_view text) {
  static const int ready = sodium_init();
  (void)ready;
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    bad("malformed base64");
  out.resize(len);
  return out;
}

Tensor image_instance(std::string_view file, const std::string& name, const Shape& input_shape,
                      const RequestLimits& limits, int64_t* pixels_left) {
  if (limits.image_transform == "none")
    bad(name + ": this server takes no image files (its image transform is 'none'); send the model's " +
        std::to_string(numel(input_shape)) + " numbers");
  // "mnist": to_mnist's 28 x 28 image, for a model that takes 784 values.
  if (numel(input_shape) != 784)
    bad(fmt::format("{}: the model takes inputs of shape {}, and the image transform 'mnist' makes 28x28 images",
                    name, to_string(input_shape)));
  vision::DecodeOptions o;
  o.max_pixels = pixels_left ? std::min(*pixels_left, limits.max_image_pixels) : limits.max_image_pixels;
  o.budget = limits.decode_budget;
  o.budget_wait = limits.decode_wait;
  vision::Image img;  // holds its pixels of the budget until this returns
  try {
    if (o.max_pixels < 1) throw vision::ImageTooLargeError(name);
    img = vision::decode_image(file, name, o);
  } catch (const vision::ImageTooLargeError& e) {
    if (o.max_pixels < limits.max_image_pixels)  // the budget of the whole request ran out
      throw RequestError(413, fmt::format("{}: the images of one request hold more than the limit of {} pixels together",
                                          name, limits.max_image_pixels));
    throw RequestError(413, e.what());
  } catch (const vision::DecodeBudgetError& e) {
    throw RequestError(503, std::string(e.what()) + "; the server is decoding other images: retry in a moment");
  } catch (const std::runtime_error& e) {
    bad(e.what());
  }
  if (pixels_left) *pixels_left -= img.width * img.height;
  try {
    return vision::to_mnist(img).reshape(batched(1, input_shape));
  } catch (const vision::NoDigitError& e) {
    bad(name + ": " + e.what());
  }
}

const std::vector<std::string>& image_transforms() {
  static const std::vector<std::string> names{"mnist", "none"};
  return names;
}

Batch parse_tf_predict(const json& body, const Shape& input_shape, const RequestLimits& limits) {
  if (!body.is_object()) bad("the request body must be a JSON object");
  if (body.contains("signature_name") &&
      (!body["signature_name"].is_string() || body["signature_name"] != "serving_default"))
    bad("unknown signature_name (this model has serving_default)");
  const bool rows = body.contains("instances"), cols = body.contains("inputs");
  if (rows == cols) bad("give \"instances\" (row format) or \"inputs\" (columnar format), not " + std::string(rows ? "both" : "neither"));
  Batch b;
  b.columnar = cols;
  const json* list = rows ? &body["instances"] : &body["inputs"];
  if (cols && list->is_object()) {  // {"inputs": {"<name>": batch}}
    if (list->size() != 1) bad("\"inputs\" must name exactly one input (the model has one)");
    list = &list->begin().value();
  }
  if (!list->is_array()) bad(std::string(rows ? "\"instances\"" : "\"inputs\"") + " must be a list");
  check_count(list->size(), limits);
  std::vector<float> values;  // grown as instances are checked, not reserved from an unchecked count
  int64_t pixels_left = limits.max_image_pixels;
  for (size_t i = 0; i < list->size(); ++i)
    instance((*list)[i], input_shape, limits, pixels_left, values, fmt::format("instance {}", i));
  b.x = to_input(values, static_cast<int64_t>(list->size()), input_shape);
  return b;
}

Batch parse_kserve_infer(const json& body, const Shape& input_shape, const RequestLimits& limits) {
  if (!body.is_object()) bad("the request body must be a JSON object");
  Batch b;
  if (body.contains("id")) {
    if (!body["id"].is_string()) bad("\"id\" must be a string");
    b.id = body["id"].get<std::string>();
  }
  if (!body.contains("inputs") || !body["inputs"].is_array() || body["inputs"].size() != 1)
    bad("\"inputs\" must be a list of exactly one input (the model has one)");
  const json& in = body["inputs"][0];
  if (!in.is_object() || !in.contains("name") || !in["name"].is_string()) bad("the input needs a \"name\"");
  b.input_name = in["name"].get<std::string>();
  if (!in.contains("datatype") || !in["datatype"].is_string()) bad("the input needs a \"datatype\"");
  const std::string type = in["datatype"].get<std::string>();
  static const char* kNumeric[] = {"FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"};
  if (std::find(std::begin(kNumeric), std::end(kNumeric), type) == std::end(kNumeric))
    bad("datatype " + type + " is not supported (send FP32 numbers)");
  if (!in.contains("shape") || !in["shape"].is_array() || in["shape"].empty() || in["shape"].size() > 5)
    bad("the input needs a \"shape\" of 1 to 5 extents");
  Shape shape;
  for (const auto& d : in["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > (int64_t{1} << 30)) bad("\"shape\" extents must be positive integers");
    shape.push_back(d.get<int64_t>());
  }
  const int64_t n = shape[0];
  check_count(static_cast<size_t>(n), limits);
  const int64_t per = numel(input_shape);
  int64_t rest = 0;
  try {
    rest = numel(Shape(shape.begin() + 1, shape.end()));
  } catch (const std::invalid_argument&) {
    bad("\"shape\" " + to_string(shape) + " is too large");
  }
  if (shape.size() > 1 && rest != per)
    bad(fmt::format("shape {} does not hold {}-number instances ({})", to_string(shape), per, to_string(input_shape)));
  if (!in.contains("data")) bad("the input needs \"data\"");
  std::vector<float> values;
  Shape data_shape;
  flatten(in["data"], values, data_shape, 0, static_cast<size_t>(n * per), "\"data\"");
  if (static_cast<int64_t>(values.size()) != n * per)
    bad(fmt::format("\"data\" holds {} numbers, shape {} needs {}", values.size(), to_string(shape), n * per));
  b.x = to_input(values, n, input_shape);
  return b;
}

Batch parse_seed_json(const json& body, const Shape& input_shape, const RequestLimits& limits) {
  if (!body.is_object() || !body.contains("image"))
    bad(fmt::format("expected {{\"image\": [{} numbers]}} (or a multipart form with the image file in the field "
                    "\"images\")",
                    numel(input_shape)));
  std::vector<float> values;
  int64_t pixels_left = limits.max_image_pixels;
  instance(body["image"], input_shape, limits, pixels_left, values, "\"image\"");
  Batch b;
  b.x = to_input(values, 1, input_shape);
  return b;
}

}  // namespace nn::serving::detail
