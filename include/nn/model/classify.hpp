#pragma once
// A classifier's answer for a batch, as the tools and the server give it: class probabilities
// (the model's outputs, with a softmax applied when the model does not end in one), and each row's
// most probable classes as integers.
//
//   nn::Tensor p = nn::predict_probabilities(model, x);        // (N, C), on x's device
//   for (const auto& row : nn::top_classes(p, 5))                 // row[0]: the predicted class
//     fmt::print("{} ({:.3f})\n", row[0].label, row[0].probability);
#include <cstdint>
#include <vector>

#include "nn/model/model.hpp"

namespace nn {

// x: (N, *model.input_shape()) -> (N, C) probabilities, computed on the model's device (softmax
// included) and returned on x's. Throws std::invalid_argument when the model's outputs are not
// (C) class scores.
Tensor predict_probabilities(Model& model, const Tensor& x, int64_t batch_size = 32);

struct ClassScore {
  int64_t label = 0;
  float probability = 0.0f;
};

// The min(k, C) most probable classes of each row of probabilities (N, C), most probable first
// (ties: the lower class first), read to the host in one copy.
std::vector<std::vector<ClassScore>> top_classes(const Tensor& probabilities, int64_t k);

}  // namespace nn
