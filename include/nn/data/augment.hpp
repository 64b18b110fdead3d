#pragma once
// The augmentation layers' transforms (nn/layers/augmentation.hpp) as functions of one image, for a
// pipeline's map: an image (H, W) or (C, H, W) of any dtype in, float32 of the same shape out
// (uint8 pixels keep their 0-255 values), sampled bilinearly with `fill` outside (0: MNIST's black
// background).
//
//   nn::Generator gen(7);   // one per thread: map it with num_parallel_calls = 1, or seed one per worker
//   auto augmented = Dataset::from_tensor_slices(images, labels).map([&gen](Example e) {
//     e.x = nn::data::random_rotation(e.x, 0.03f, gen);   // up to ±10.8°
//     e.x = nn::data::random_translation(e.x, 0.1f, 0.1f, gen);
//     return e;
//   });
#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn::data {

// Counter-clockwise by `radians` about the centre; the content moved dy rows down and dx columns
// right; zoomed about the centre by z (> 0 out: the content scales by 1 / (1 + z)); contrast
// (x - mean) factor + mean per channel, clipped to [lo, hi].
Tensor rotate(const Tensor& image, float radians, float fill = 0.0f);
Tensor translate(const Tensor& image, float dy, float dx, float fill = 0.0f);
Tensor zoom(const Tensor& image, float zy, float zx, float fill = 0.0f);
Tensor adjust_contrast(const Tensor& image, float factor, float lo = 0.0f, float hi = 1.0f);

// Keras's ranges, drawn from gen: angle in [-factor, factor] × 2π; shifts in [-f, f] × height and
// × width; zoom z in [-f, f] for both axes; contrast in [1 - factor, 1 + factor].
Tensor random_rotation(const Tensor& image, float factor, Generator& gen, float fill = 0.0f);
Tensor random_translation(const Tensor& image, float height_factor, float width_factor, Generator& gen,
                          float fill = 0.0f);
Tensor random_zoom(const Tensor& image, float factor, Generator& gen, float fill = 0.0f);
Tensor random_contrast(const Tensor& image, float factor, Generator& gen, float lo = 0.0f, float hi = 1.0f);

}  // namespace nn::data
