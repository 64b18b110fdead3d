#pragma once
// ONNX: models that travel (the nn::onnx component, find_package(nn COMPONENTS onnx)).
//
//   nn::save_onnx(model, "model.onnx");      // any Sequential or functional model, for inference
//   nn::Model m = nn::load_onnx("model.onnx"); // a graph exported by PyTorch, Keras (tf2onnx) or nn
//
// Export writes ONNX IR version 8 with the default domain at opset 17: one graph input per model
// input, named after its InputLayer, and one output per model output, named after the layer that
// computes it, each with a dynamic batch dimension "N"; the model's name and nn's version in the
// metadata. Dropout is the identity and BatchNormalization takes its inference form (the moving
// statistics), as in any exported model. The bytes are ONNX's own protobuf messages (onnx.proto,
// through libprotobuf), written atomically like model files.
//
// Import builds an nn::Model of nn's own layers, so the model evaluates, predicts, fine-tunes
// (fit), saves as an nn model file and serves like any other. The first dimension of every graph
// input and output is the batch; the others must be known. Operators (opsets 11 to 17 of the
// default domain), and what each becomes:
//   Gemm, MatMul (+ Add of a constant bias)        Dense
//   Conv (2-d, group 1, no dilation)               Conv2D
//   MaxPool, AveragePool, GlobalAveragePool        MaxPool2D, AveragePooling2D, GlobalAveragePooling2D
//   Relu, LeakyRelu, Sigmoid, Tanh, Softmax, LogSoftmax (over the last axis)   activation layers
//   BatchNormalization (inference)                 BatchNormalization
//   Flatten, Reshape, Squeeze, Unsqueeze, Transpose (batch axis kept)          Flatten, Reshape, Permute
//   Add, Sub, Mul (two computed tensors)           Add, Subtract, Multiply
//   Add, Sub, Mul, Div with a constant operand     Rescaling (x * scale + offset)
//   Concat                                         Concatenate
//   Pad (constant mode, spatial axes)              ZeroPadding2D
//   Identity, Dropout (inference), Cast to float   nothing (the tensor passes through)
//   Constant, and any operator whose inputs are all constants, is evaluated at import.
// Anything else (an operator, attribute value, opset, dtype) is an error naming it and the node.
// The reader trusts nothing in the file: sizes that disagree, a tensor larger than its data,
// external data, and unknown references are refused before anything is allocated for them.
#include <string>
#include <vector>

#include "nn/io/model_file.hpp"
#include "nn/model/model.hpp"
#include "nn/tensor.hpp"

namespace nn::io {

constexpr int kOnnxIrVersion = 8;
constexpr int kOnnxOpset = 17;
constexpr int kOnnxMinImportOpset = 11;

void save_onnx(const Model& model, const std::string& path);
Model load_onnx(const std::string& path, const LoadOptions& options = {});

// The same from bytes in memory (an upload; `name` appears in messages in place of a path).
Model load_onnx_bytes(const std::string& bytes, const std::string& name, const LoadOptions& options = {});
std::string onnx_bytes(const Model& model);

// One serialized TensorProto (ONNX's test data, input_0.pb) as a float32 tensor: float, double and
// integer element types are converted; anything else is an error naming the file and the type.
Tensor load_onnx_tensor(const std::string& path);

// The operators load_onnx reads (of the default domain), sorted.
std::vector<std::string> onnx_import_operators();

// True for a path ending in ".onnx" (the tools choose the reader by it).
bool is_onnx_path(const std::string& path);

}  // namespace nn::io

namespace nn {
using io::load_onnx;
using io::save_onnx;
}  // namespace nn
