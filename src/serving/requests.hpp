#pragma once
// The request bodies the server understands, parsed into a batch of model inputs. Everything
// here faces the network: sizes are checked before allocation, every error is a RequestError
// carrying the HTTP status TF Serving would answer with (400 bad input, 413 too large).
//   TF Serving predict  {"instances": [...]} (row) or {"inputs": ...} (columnar); an instance is
//                       784 numbers, 28 x 28 nested, or {"b64": "<base64 image file>"}, or an
//                       object holding one of those under the input's name
//   KServe v2 infer     {"inputs": [{"name", "shape", "datatype", "data"}], "id"?}
//   the seeds' JSON     {"image": [784 numbers]}
// Image files go through nn::vision (decode, then to MNIST's form).
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/tensor.hpp"
#include "nn/vision/pixel_budget.hpp"

namespace nn::serving::detail {

class RequestError : public std::runtime_error {
 public:
  RequestError(int status, const std::string& what) : std::runtime_error(what), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct RequestLimits {
  int64_t max_instances = 1024;
  int64_t max_image_pixels = 40'000'000;  // one image, and all the images of one request together
  // The pixels decoded at once across requests (none: unbounded); a decode waits this long for
  // its share, then the request gets 503.
  vision::PixelBudget* decode_budget = nullptr;
  std::chrono::milliseconds decode_wait{1000};
  std::string image_transform = "mnist";  // image_transforms() names the choices
};

// The image transforms a server may be configured with: "mnist" and "none".
const std::vector<std::string>& image_transforms();

// A parsed body: x (N, *input_shape), and what the reply needs to echo.
struct Batch {
  Tensor x;
  bool columnar = false;    // TF: "inputs" given, so the reply uses "outputs"
  std::string input_name;   // KServe: the input's name
  std::string id;           // KServe: the request id
};

// Parses JSON text (std::string_view of the body); RequestError(400) for malformed JSON.
nlohmann::json parse_json(std::string_view body);

Batch parse_tf_predict(const nlohmann::json& body, const Shape& input_shape, const RequestLimits& limits);
Batch parse_kserve_infer(const nlohmann::json& body, const Shape& input_shape, const RequestLimits& limits);
Batch parse_seed_json(const nlohmann::json& body, const Shape& input_shape, const RequestLimits& limits);
// An image file (PNG, JPEG, BMP, PGM/PPM) -> one input (1, *input_shape) through the configured
// image transform.
// RequestError(413) over max_image_pixels; with pixels_left (the budget of a whole request, which
// starts at max_image_pixels), also when the request's images together exceed it.
Tensor image_instance(std::string_view file, const std::string& name, const Shape& input_shape,
                      const RequestLimits& limits, int64_t* pixels_left = nullptr);

// Standard base64 (with padding); RequestError(400) if it is not.
std::string base64_decode(std::string_view text);

}  // namespace nn::serving::detail
