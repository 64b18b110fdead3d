#include "nn/model/classify.hpp"

#include <algorithm>
#include <stdexcept>

#include "nn/tensor_ops.hpp"

namespace nn {

Tensor predict_probabilities(Model& model, const Tensor& x, int64_t batch_size) {
  if (model.built() && model.output_shape().size() != 1)
    throw std::invalid_argument("predict_probabilities: the model's outputs have shape " +
                                to_string(model.output_shape()) + ", not (classes)");
  Tensor out = model.predict(x.to(model.device()), batch_size);  // stays on the model's device
  if (!model.ends_with_softmax()) out = softmax(out);
  return out.to(x.device());
}

std::vector<std::vector<ClassScore>> top_classes(const Tensor& probabilities, int64_t k) {
  if (probabilities.ndim() != 2 || k < 1)
    throw std::invalid_argument("top_classes: probabilities must be (N, C) and k positive, got shape " +
                                to_string(probabilities.shape()) + " and k " + std::to_string(k));
  const TopK top = top_k(probabilities, std::min<int64_t>(k, probabilities.dim(1)));
  const std::vector<float> values = top.values.to_vector();
  const std::vector<int64_t> labels = top.indices.to_vector<int64_t>();
  const auto rows = static_cast<size_t>(probabilities.dim(0)), cols = static_cast<size_t>(top.values.dim(1));
  std::vector<std::vector<ClassScore>> out(rows);
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < cols; ++j) out[r].push_back({labels[r * cols + j], values[r * cols + j]});
  return out;
}

}  // namespace nn
