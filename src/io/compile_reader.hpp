#pragma once
// A model file's "compile" section, read and checked against the model it belongs to: the
// optimizer (type, config, schedule), a loss per output (name, from_logits against the output's
// softmax, label smoothing), the loss weights and the metrics. The optimizer's state (its slots'
// tensors) is the model reader's, which holds the tensor table. Errors name the field at fault.
#include <string>
#include <vector>

#include "io/json_field.hpp"
#include "nn/losses.hpp"
#include "nn/model/model.hpp"
#include "nn/optim/optimizer.hpp"

namespace nn::io::detail {

struct CompileSpec {
  OptimizerPtr optimizer;  // null: the file's model was not compiled
  std::vector<AnyLoss> losses;
  std::vector<float> loss_weights;
  std::vector<std::string> metrics;
};

CompileSpec read_compile(const nn::detail::JsonField& c, const Model& model);

}  // namespace nn::io::detail
