// nn::load_onnx and the importer's walk over the graph (onnx_importer.hpp).
#include <limits>

#include "onnx/onnx_importer.hpp"
#include "util/input_file.hpp"

namespace nn::io {
namespace detail {

const std::set<std::string>& supported_ops() {
  static const std::set<std::string> ops{
      "Add",       "AveragePool", "BatchNormalization", "Cast",     "Clip",    "Concat",  "Constant",
      "Conv",      "Div",         "Dropout",            "Elu",      "Flatten", "Gemm",    "GlobalAveragePool",
      "Identity",  "LeakyRelu",   "LogSoftmax",         "MatMul",   "MaxPool", "Mul",     "Pad",
      "Relu",      "Reshape",     "Sigmoid",            "Softmax",  "Squeeze", "Sub",     "Sum",
      "Tanh",      "Transpose",   "Unsqueeze"};
  return ops;
}

int64_t to_int64(float f) {
  if (!(f >= -9.2e18f && f <= 9.2e18f)) throw std::runtime_error(fmt::format("{} is not an integer nn can use", f));
  return static_cast<int64_t>(std::trunc(f));
}

Model Importer::run() {
  check_model_header();
  const onnx::GraphProto& g = m_.graph();
  for (const auto& init : g.initializer()) {
    const std::string where = fmt::format("{}: initializer '{}'", file_, cut(init.name()));
    if (init.name().empty()) throw std::runtime_error(where + ": no name");
    set_constant(init.name(), init, where);
  }
  if (g.sparse_initializer_size() > 0) throw std::runtime_error(file_ + ": sparse initializers are not supported");
  std::vector<SymbolicTensor> inputs;
  for (const auto& in : g.input()) {
    if (values_.count(in.name())) continue;  // an initializer listed as an input (IR < 4)
    inputs.push_back(graph_input(in));
  }
  for (int i = 0; i < g.node_size(); ++i)
    for (const auto& in : g.node(i).input()) ++uses_[in];
  for (const auto& out : g.output()) ++uses_[out.name()];
  for (int i = 0; i < g.node_size(); ++i) {
    if (fused_.count(i)) continue;
    node_ = &g.node(i);
    index_ = i;
    try {
      visit();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      if (what.rfind(file_, 0) == 0) throw;
      throw std::runtime_error(here() + ": " + what);
    }
  }
  std::vector<SymbolicTensor> outputs;
  for (const auto& out : g.output()) {
    const auto it = values_.find(out.name());
    if (it == values_.end())
      throw std::runtime_error(fmt::format("{}: graph output '{}' is computed by no node", file_, cut(out.name())));
    if (it->second.constant)
      throw std::runtime_error(fmt::format("{}: graph output '{}' is a constant; nn models compute their outputs",
                                           file_, cut(out.name())));
    outputs.push_back(it->second.sym);
  }
  if (outputs.empty()) throw std::runtime_error(file_ + ": the graph has no outputs");
  if (inputs.empty()) throw std::runtime_error(file_ + ": the graph has no inputs");
  const std::string name = g.name().empty() ? "onnx_model" : g.name();
  Model model = [&] {
    try {
      return Model(inputs, outputs, name);
    } catch (const std::exception& e) {
      throw std::runtime_error(file_ + ": " + e.what());
    }
  }();
  if (options_.device() != Device::cpu()) model.to(options_.device());
  return model;
}


void Importer::visit() {
  const std::string& op = node_->op_type();
  if (!node_->domain().empty() && node_->domain() != "ai.onnx")
    throw std::runtime_error("operator domain '" + cut(node_->domain()) + "' is not supported");
  if (!supported_ops().count(op))
    throw std::runtime_error(fmt::format("operator {} is not supported (nn imports {})", cut(op),
                                         fmt::join(supported_ops(), ", ")));
  one_output();
  for (int i = 0; i < inputs(); ++i)
    if (has_input(i)) in(i);  // every named input exists
  if (op == "Identity") return allow_attrs({}), alias(0);
  if (op == "Dropout") return dropout();
  if (op == "Cast") return cast();
  if (op == "Constant") return constant_node();
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu" || op == "Elu") return activation(op);
  if (op == "Clip") return clip();
  if (op == "Sum") return sum();
  if (op == "Softmax" || op == "LogSoftmax") return softmax(op);
  if (op == "Gemm") return gemm();
  if (op == "MatMul") return matmul();
  if (op == "Conv") return conv();
  if (op == "MaxPool" || op == "AveragePool") return pool(op);
  if (op == "GlobalAveragePool") return global_average_pool();
  if (op == "BatchNormalization") return batch_norm();
  if (op == "Flatten") return flatten();
  if (op == "Reshape") return reshape_node();
  if (op == "Transpose") return transpose();
  if (op == "Squeeze" || op == "Unsqueeze") return squeeze(op == "Squeeze");
  if (op == "Concat") return concat();
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return arithmetic(op);
  if (op == "Pad") return pad();
  throw std::logic_error("unhandled operator " + op);
}

}  // namespace detail

namespace {

std::string read_bytes(const std::string& path) {
  const nn::detail::InputFile file(path);
  if (file.size() > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(path + ": over 2 GiB, protobuf's limit for one message");
  std::string bytes(static_cast<size_t>(file.size()), '\0');
  if (!bytes.empty()) file.read_at(0, bytes.data(), bytes.size());
  return bytes;
}

}  // namespace

std::vector<std::string> onnx_import_operators() {
  return {detail::supported_ops().begin(), detail::supported_ops().end()};
}

Model load_onnx_bytes(const std::string& bytes, const std::string& name, const LoadOptions& options) {
  onnx::ModelProto proto;
  detail::parse_proto(bytes, name, proto);
  return detail::Importer(proto, name, options).run();
}

Model load_onnx(const std::string& path, const LoadOptions& options) {
  return load_onnx_bytes(read_bytes(path), path, options);
}

Tensor load_onnx_tensor(const std::string& path) {
  onnx::TensorProto proto;
  detail::parse_proto(read_bytes(path), path, proto);
  return detail::tensor_from_proto(proto, path);
}

}  // namespace nn::io
