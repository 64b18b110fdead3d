#pragma once
// The model files the tool reads and writes: nn's own (.nn) and, where nn was built with its ONNX
// component, ONNX (.onnx, chosen by the extension).
#include <string>

#include <nn/nn.hpp>

namespace mnist {

nn::Model load_model_file(const std::string& path, nn::Device device);
// The loss a classifier trains and evaluates with: on probabilities where the model ends in a
// softmax, else on its outputs as logits (an imported model's log-softmax or raw scores).
nn::AnyLoss classification_loss(const nn::Model& model, float label_smoothing = 0.0f);
// Compiles the model for evaluate() to give its accuracy, whatever it was compiled with (or if it
// was not compiled at all).
void compile_for_evaluation(nn::Model& model);

}  // namespace mnist
