// libFuzzer target: the image path a request or `mnist predict` takes, on any bytes: decoding
// (PNG, JPEG, BMP, PGM/PPM by their magic bytes) and, for what decodes, the conversion to
// MNIST's form.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "nn/vision/image.hpp"
#include "nn/vision/mnist_form.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nn::vision::DecodeOptions options;
  options.max_pixels = int64_t{1} << 20;  // keep single inputs within the fuzzer's memory limit
  try {
    const nn::vision::Image img =
        nn::vision::decode_image(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.img", options);
    const nn::Tensor x = nn::vision::to_mnist(img);
    if (x.numel() != 28 * 28) __builtin_trap();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (!(x.data()[i] >= 0.0f && x.data()[i] <= 1.0f)) __builtin_trap();  // MNIST's range, no NaN
  } catch (const std::exception&) {
  }
  return 0;
}
