// libFuzzer target: the server's request parsers, on any bytes. The first byte picks the parser
// (TF Serving predict, KServe v2 infer, the seeds' JSON, an image instance, base64); the rest is
// the body. Each either yields a batch of the model's input shape or throws RequestError with a
// 4xx status; anything else (a crash, a 5xx, a wrong shape) is a bug.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "serving/requests.hpp"

namespace {

void check_batch(const nn::Tensor& x, const nn::Shape& input) {
  const nn::Shape& s = x.shape();
  if (s.size() != input.size() + 1 || s[0] < 1 || !std::equal(input.begin(), input.end(), s.begin() + 1)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace d = nn::serving::detail;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const nn::Shape input{1, 28, 28};
  d::RequestLimits limits;
  limits.max_instances = 64;
  limits.max_image_pixels = int64_t{1} << 20;
  try {
    switch (data[0] % 5) {
      case 0: check_batch(d::parse_tf_predict(d::parse_json(body), input, limits).x, input); break;
      case 1: check_batch(d::parse_kserve_infer(d::parse_json(body), input, limits).x, input); break;
      case 2: check_batch(d::parse_seed_json(d::parse_json(body), input, limits).x, input); break;
      case 3: check_batch(d::image_instance(body, "fuzz.img", input, limits), input); break;
      default: d::base64_decode(body); break;
    }
  } catch (const d::RequestError& e) {
    if (e.status() < 400 || e.status() >= 500) __builtin_trap();
  } catch (const std::exception&) {
    __builtin_trap();  // every failure of a request must be a RequestError with its status
  }
  return 0;
}
