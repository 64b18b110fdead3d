#pragma once
// Reading and writing images, through well-kept libraries: PNG (libpng: 8/16-bit gray, gray+alpha,
// RGB, RGBA, palette), JPEG (libjpeg-turbo), BMP and binary PGM/PPM (stb_image). The format is
// recognised by its magic bytes, not the file name. Sizes are checked from the header before any
// pixel is decoded.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nn/tensor.hpp"
#include "nn/vision/pixel_budget.hpp"

namespace nn::vision {

// A decoded image: 8-bit RGBA, row-major, 4 bytes a pixel (16-bit sources are rounded to 8 bits;
// gray, palette and images without alpha come out opaque RGBA).
struct Image {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> rgba;  // height * width * 4
  std::shared_ptr<void> budget_lease;  // its pixels in DecodeOptions::budget, held while it lives
};

struct DecodeOptions {
  int64_t max_pixels = 40'000'000;     // larger images are refused before they are decoded
  int64_t max_file_bytes = 64 << 20;   // read_image: larger files are refused before they are read
  // Shared by concurrent decodes (pixel_budget.hpp): the pixels of all images decoded and alive
  // at once; a decode waits up to budget_wait for its share (for ever when negative).
  PixelBudget* budget = nullptr;
  std::chrono::milliseconds budget_wait{-1};
};

// An image (or image file) over DecodeOptions' limits; the message names it and both sizes.
class ImageTooLargeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error("<name>: ...") for an unknown format or a corrupt or truncated image,
// ImageTooLargeError for one over the limits, DecodeBudgetError when the budget stayed full.
Image decode_image(std::string_view bytes, const std::string& name, const DecodeOptions& options = {});
Image read_image(const std::string& path, const DecodeOptions& options = {});

// Whether the bytes start like an image this module decodes.
bool looks_like_image(std::string_view bytes);

// An 8-bit grayscale PNG of gray (H, W), values in [0, 1] (clamped).
std::string encode_png(const Tensor& gray);
void write_png(const std::string& path, const Tensor& gray);

}  // namespace nn::vision
