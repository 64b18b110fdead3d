#include "model_files.hpp"

#include <nn/io/model_file.hpp>
#ifdef NN_WITH_ONNX
#include <nn/io/onnx.hpp>
#endif

#include <algorithm>
#include <stdexcept>

namespace mnist {

nn::Model load_model_file(const std::string& path, nn::Device device) {
  const bool onnx = path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
  if (!onnx) return nn::load_model(path, device);
#ifdef NN_WITH_ONNX
  return nn::load_onnx(path, nn::io::LoadOptions().device(device));
#else
  throw std::runtime_error(path + ": this build of mnist reads no ONNX files (nn was built without NN_WITH_ONNX)");
#endif
}

nn::AnyLoss classification_loss(const nn::Model& model, float label_smoothing) {
  return nn::SparseCategoricalCrossentropy(
      nn::CrossentropyOptions().from_logits(!model.ends_with_softmax()).label_smoothing(label_smoothing));
}

void compile_for_evaluation(nn::Model& model) {
  const auto& names = model.metric_names();
  if (!model.compiled())
    model.compile(std::make_shared<nn::SGD>(), classification_loss(model), {"accuracy"});
  else if (std::find(names.begin(), names.end(), "accuracy") == names.end())
    model.compile(model.optimizer_ptr(), model.loss_ptr(), {"accuracy"});
}

}  // namespace mnist
