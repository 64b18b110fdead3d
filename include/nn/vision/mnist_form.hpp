#pragma once
// A person's image of one digit, brought into the form MNIST's digits have: white on black,
// 28 x 28, the digit's longer side scaled to 20 pixels (anti-aliased, aspect kept) and its centre
// of mass at the centre, values in [0, 1]. The mnist tool, the server and users share it.
//
//   nn::Tensor x = nn::vision::to_mnist(nn::vision::read_image("seven.jpg"));   // (28, 28)
//
// Steps: grayscale (alpha composited over the background: white for dark ink, black for light);
// inverted when the border is light (paper) rather than assumed; uneven lighting and background
// noise removed (the paper is estimated by a morphological closing and divided out, then Otsu's
// threshold separates ink from paper); cropped to the ink's bounding box, small specks ignored;
// thin pen strokes thickened to MNIST's stroke width; scaled and centred as MNIST was made. A
// small digit in a large photo is located at low resolution and then processed at full detail.
// A 28 x 28 image that is already white on black passes through unchanged.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "nn/tensor.hpp"
#include "nn/vision/image.hpp"

namespace nn::vision {

// The image holds no digit (blank, uniform, or only specks): a clear refusal, not a guess.
class NoDigitError : public std::runtime_error {
 public:
  explicit NoDigitError(const std::string& what) : std::runtime_error(what) {}
};

struct MnistFormOptions {
  int64_t size = 28;  // output side
  int64_t box = 20;   // the digit's longer side inside it
};

// image -> (size, size) in [0, 1]. Throws NoDigitError("no digit found ...").
Tensor to_mnist(const Image& image, const MnistFormOptions& options = {});

}  // namespace nn::vision
