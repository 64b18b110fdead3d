#pragma once
// Geometric and photometric transforms of batches of images, differentiable in the images: what
// the augmentation layers (nn/layers/augmentation.hpp) and the per-image augment functions
// (nn/augment.hpp) are made of.
//
//   auto y = nn::affine_transform(x, {nn::rotation_map(0.3f, 28, 28), nn::zoom_map(0.1f, 0.1f, 28, 28)});
#include <array>
#include <cstdint>
#include <vector>

#include "nn/autograd/variable.hpp"

namespace nn {

// Where an output pixel samples its input: for the output pixel at column x, row y (pixel centres
// at integers), the input point xin = m[0] x + m[1] y + m[2], yin = m[3] x + m[4] y + m[5].
using AffineMap = std::array<float, 6>;

// Rotation about the image's centre by `radians`, counter-clockwise as the image is seen (Keras's
// RandomRotation); translation of the content by dy rows down and dx columns right; zoom about
// the centre, where a positive z zooms out (the content shrinks: input span 1 + z, as Keras's
// RandomZoom) and a negative one in. compose(a, b): b applied to the image first, then a.
AffineMap rotation_map(float radians, int64_t height, int64_t width);
AffineMap translation_map(float dy, float dx);
AffineMap zoom_map(float zy, float zx, int64_t height, int64_t width);
AffineMap compose(const AffineMap& a, const AffineMap& b);

// x: (N, C, H, W) or (N, H, W), one map per image -> the same shape, each image resampled through
// its map with bilinear interpolation; points outside the image take `fill` (0: MNIST's black
// background). Differentiable in x.
Variable affine_transform(const Variable& x, const std::vector<AffineMap>& maps, float fill = 0.0f);

// x: (N, C, H, W) or (N, H, W), one factor per image: y = (x - mean) factor + mean, the mean over
// each channel's pixels of that image, clipped to [lo, hi] (Keras's RandomContrast with its
// value_range). Differentiable in x.
Variable adjust_contrast(const Variable& x, const std::vector<float>& factors, float lo, float hi);

}  // namespace nn
