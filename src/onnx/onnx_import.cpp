// nn::load_onnx: an ONNX graph as an nn::Model of nn's own layers (see nn/io/onnx.hpp for the
// operators and what each becomes). The graph's nodes are visited in order (ONNX requires a
// topological order); each value is either computed (a symbolic tensor with a batch axis) or a
// constant (an initializer, a Constant node, or a node whose inputs are all constants, evaluated
// here). Weights are set from the constants right after each layer is built; every constant's
// shape is checked against the layer before the layer is made, so nothing is allocated for what
// the file merely declares.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nn/io/onnx.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/average_pooling2d.hpp"
#include "nn/layers/batch_normalization.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dense.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/max_pool2d.hpp"
#include "nn/layers/merge.hpp"
#include "nn/layers/rescaling.hpp"
#include "nn/layers/reshape.hpp"
#include "nn/layers/zero_padding2d.hpp"
#include "nn/model/symbolic.hpp"
#include "nn/ops/arithmetic.hpp"
#include "nn/ops/shape_ops.hpp"
#include "onnx/onnx_common.hpp"
#include "util/input_file.hpp"

namespace nn::io {
namespace {

constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;  // one constant computed at import
constexpr int64_t kMaxFoldedTotal = int64_t{1} << 26;     // all of them together
constexpr int64_t kMaxSampleElements = int64_t{1} << 28;  // one value, per example

const std::set<std::string>& supported_ops() {
  static const std::set<std::string> ops{
      "Add",      "AveragePool", "BatchNormalization", "Cast",    "Clip",    "Concat",     "Constant",
      "Conv",     "Div",         "Dropout",            "Elu",     "Flatten", "Gemm",       "GlobalAveragePool",
      "Identity", "Sum",
      "LeakyRelu", "LogSoftmax", "MatMul",             "MaxPool", "Mul",     "Pad",        "Relu",
      "Reshape",  "Sigmoid",     "Softmax",            "Squeeze", "Sub",     "Tanh",       "Transpose",
      "Unsqueeze"};
  return ops;
}

// A float constant as an integer (a shape, an axis): whole and in range, else an error.
int64_t to_int64(float f) {
  if (!(f >= -9.2e18f && f <= 9.2e18f)) throw std::runtime_error(fmt::format("{} is not an integer nn can use", f));
  return static_cast<int64_t>(std::trunc(f));
}

struct Value {
  bool constant = false;
  SymbolicTensor sym;  // computed: its shape excludes the batch axis
  Tensor value;        // constant: float32, the full shape
  std::vector<int64_t> ints;  // constant of an integer type: its exact values
  bool integer = false;
};

class Importer {
 public:
  Importer(const onnx::ModelProto& m, std::string file, LoadOptions options)
      : m_(m), file_(std::move(file)), options_(std::move(options)) {}

  Model run() {
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

 private:
  // ---- the file ----
  void check_model_header() {
    if (!m_.has_graph()) throw std::runtime_error(file_ + ": no graph (not an ONNX model?)");
    if (m_.ir_version() < 3 || m_.ir_version() > 10)
      throw std::runtime_error(fmt::format("{}: IR version {} is not supported (nn reads 3 to 10)", file_, m_.ir_version()));
    opset_ = -1;
    for (const auto& o : m_.opset_import()) {
      if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = static_cast<int>(std::min<int64_t>(o.version(), 1 << 20));
      else
        other_domains_.insert(o.domain());
    }
    if (opset_ < 0) throw std::runtime_error(file_ + ": imports no opset of the default ONNX domain");
    if (opset_ < kOnnxMinImportOpset || opset_ > kOnnxOpset)
      throw std::runtime_error(fmt::format("{}: opset {} is not supported (nn imports opsets {} to {})", file_, opset_,
                                           kOnnxMinImportOpset, kOnnxOpset));
  }

  static std::string cut(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return s.size() > 80 ? out + "..." : out;
  }

  std::string here() const {
    const std::string name = !node_->name().empty() ? node_->name()
                             : node_->output_size() > 0 ? node_->output(0)
                                                        : std::to_string(index_);
    return fmt::format("{}: node '{}' ({})", file_, cut(name), cut(node_->op_type()));
  }

  SymbolicTensor graph_input(const onnx::ValueInfoProto& in) {
    const std::string where = fmt::format("{}: input '{}'", file_, cut(in.name()));
    if (!in.type().has_tensor_type()) throw std::runtime_error(where + ": not a tensor");
    const auto& t = in.type().tensor_type();
    if (t.elem_type() != onnx::TensorProto::FLOAT)
      throw std::runtime_error(where + ": element type " + detail::elem_type_name(t.elem_type()) +
                               " is not supported (nn models take float inputs)");
    if (!t.has_shape() || t.shape().dim_size() < 2)
      throw std::runtime_error(where + ": needs a shape of rank 2 or more (the batch, then each example's extents)");
    Shape shape;
    for (int d = 1; d < t.shape().dim_size(); ++d) {
      const auto& dim = t.shape().dim(d);
      if (!dim.has_dim_value() || dim.dim_value() <= 0)
        throw std::runtime_error(fmt::format("{}: dimension {} is not a known extent ({})", where, d,
                                             dim.has_dim_param() ? "'" + cut(dim.dim_param()) + "'" : "unset"));
      shape.push_back(dim.dim_value());
    }
    check_sample(shape, where);
    const auto& batch = t.shape().dim(0);
    const int64_t b = batch.has_dim_value() ? batch.dim_value() : -1;
    if (!batch_known_) {
      batch_ = b;
      batch_known_ = true;
    } else if (batch_ != b) {
      batch_ = -1;
    }
    auto input = Input(InputLayerOptions(shape).name(layer_name(in.name())));
    Value v;
    v.sym = input;
    values_[in.name()] = v;
    return input;
  }

  static void check_sample(const Shape& s, const std::string& where) {
    int64_t n = 1;
    for (int64_t d : s) {
      n = checked_mul(n, d, "an example's size");
      if (n > kMaxSampleElements)
        throw std::runtime_error(fmt::format("{}: each example of shape {} is over {} elements", where, to_string(s),
                                             kMaxSampleElements));
    }
  }

  std::string layer_name(const std::string& base) {
    std::string b = cut(base.empty() ? "layer" : base);
    std::string name = b;
    for (int k = 1; !names_.insert(name).second; ++k) name = fmt::format("{}_{}", b, k);
    return name;
  }
  std::string layer_name() {
    return layer_name(!node_->name().empty() ? node_->name() : node_->output(0));
  }

  void set_constant(const std::string& name, const onnx::TensorProto& p, const std::string& where) {
    Value v;
    v.constant = true;
    const int type = p.data_type();
    v.integer = type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32;
    v.value = detail::tensor_from_proto(p, where);
    if (v.integer) v.ints = detail::ints_from_proto(p, where, v.value.numel());
    if (!options_.allow_non_finite()) {
      const float* x = v.value.data();
      for (int64_t i = 0; i < v.value.numel(); ++i)
        if (!std::isfinite(x[i]))
          throw std::runtime_error(fmt::format("{}: holds {} at element {}; a model whose weights are not finite "
                                               "cannot predict (LoadOptions().allow_non_finite(true) loads it)",
                                               where, std::isnan(x[i]) ? "NaN" : "an infinity", i));
    }
    values_[name] = std::move(v);
  }

  // ---- the node being visited ----
  const onnx::AttributeProto* attr(const char* name) const {
    for (const auto& a : node_->attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  void allow_attrs(std::initializer_list<const char*> known) const {
    for (const auto& a : node_->attribute()) {
      bool ok = false;
      for (const char* k : known) ok = ok || a.name() == k;
      if (!ok) throw std::runtime_error(fmt::format("attribute '{}' is not supported", cut(a.name())));
    }
  }
  int64_t attr_int(const char* name, int64_t def) const {
    const auto* a = attr(name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::INT) throw std::runtime_error(fmt::format("attribute '{}' is not an int", name));
    return a->i();
  }
  float attr_float(const char* name, float def) const {
    const auto* a = attr(name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::FLOAT) throw std::runtime_error(fmt::format("attribute '{}' is not a float", name));
    return a->f();
  }
  std::vector<int64_t> attr_ints(const char* name, std::vector<int64_t> def) const {
    const auto* a = attr(name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::INTS || a->ints_size() > 16)
      throw std::runtime_error(fmt::format("attribute '{}' is not a list of at most 16 ints", name));
    return {a->ints().begin(), a->ints().end()};
  }
  std::string attr_string(const char* name, std::string def) const {
    const auto* a = attr(name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::STRING) throw std::runtime_error(fmt::format("attribute '{}' is not a string", name));
    return a->s();
  }

  int inputs() const { return node_->input_size(); }
  bool has_input(int i) const { return i < node_->input_size() && !node_->input(i).empty(); }
  const Value& in(int i) const {
    if (!has_input(i)) throw std::runtime_error(fmt::format("input {} is missing", i));
    const auto it = values_.find(node_->input(i));
    if (it == values_.end())
      throw std::runtime_error(fmt::format("input '{}' is not computed before this node", cut(node_->input(i))));
    return it->second;
  }
  const SymbolicTensor& computed(int i) const {
    const Value& v = in(i);
    if (v.constant) throw std::runtime_error(fmt::format("input {} ('{}') must be computed, not a constant", i, cut(node_->input(i))));
    return v.sym;
  }
  const Value& constant(int i, const char* what) const {
    const Value& v = in(i);
    if (!v.constant)
      throw std::runtime_error(fmt::format("input {} ({}) must be a constant (an initializer or Constant), "
                                           "not computed by the graph", i, what));
    return v;
  }
  std::vector<int64_t> constant_ints(int i, const char* what) const {
    const Value& v = constant(i, what);
    if (!v.integer) throw std::runtime_error(fmt::format("input {} ({}) must be an integer tensor", i, what));
    return v.ints;
  }

  void output(const SymbolicTensor& y) {
    check_sample(y.shape(), here());
    Value v;
    v.sym = y;
    values_[node_->output(0)] = v;
  }
  void output_constant(Tensor t) {
    const int64_t n = t.numel();
    if (n > kMaxFoldedElements || (folded_ += n) > kMaxFoldedTotal)
      throw std::runtime_error(fmt::format("constants computed at import exceed nn's limit ({} elements)", kMaxFoldedTotal));
    Value v;
    v.constant = true;
    v.value = std::move(t);
    values_[node_->output(0)] = v;
  }
  void output_ints(std::vector<int64_t> ints, Shape shape) {
    std::vector<float> f(ints.begin(), ints.end());
    output_constant(Tensor::from_vector(std::move(shape), f));
    values_[node_->output(0)].integer = true;
    values_[node_->output(0)].ints = std::move(ints);
  }
  void alias(int i) {
    values_[node_->output(0)] = in(i);
  }
  void one_output() const {
    for (int o = 1; o < node_->output_size(); ++o)
      if (!node_->output(o).empty() && uses_.count(node_->output(o)))
        throw std::runtime_error(fmt::format("output {} ('{}') is not supported", o, cut(node_->output(o))));
    if (node_->output_size() < 1 || node_->output(0).empty()) throw std::runtime_error("has no output");
  }

  template <class L, class O>
  SymbolicTensor call(O options, const std::vector<SymbolicTensor>& xs, std::shared_ptr<L>* made = nullptr) {
    options.name(layer_name());
    auto l = std::make_shared<L>(std::move(options));
    SymbolicTensor y = nn::apply(l, xs);
    if (made) *made = l;
    return y;
  }

  static void set_weight(Layer& layer, const std::string& name, const Tensor& value) {
    for (const auto& [n, v] : layer.named_parameters())
      if (n == name) {
        if (v.shape() != value.shape())
          throw std::logic_error(layer.describe() + ": weight " + name + " of shape " + to_string(v.shape()) +
                                 " given " + to_string(value.shape()));
        Tensor dst = v.value();
        dst.copy_from(value);
        return;
      }
    throw std::logic_error(layer.describe() + " has no weight " + name);
  }

  int axis_of(int64_t axis, int64_t rank) const {
    if (axis < -rank || axis >= rank)
      throw std::runtime_error(fmt::format("axis {} is out of range for rank {}", axis, rank));
    return static_cast<int>(axis < 0 ? axis + rank : axis);
  }

  // ---- the operators ----
  void visit() {
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

  void dropout() {
    allow_attrs({"ratio", "seed"});
    if (has_input(2)) {
      const Value& t = constant(2, "training_mode");
      if (t.value.numel() != 1 || t.value.data()[0] != 0.0f)
        throw std::runtime_error("training_mode must be false: nn imports models for inference and fine-tuning");
    }
    alias(0);
  }

  void cast() {
    allow_attrs({"to", "saturate"});
    const int64_t to = attr_int("to", 0);
    const Value& x = in(0);
    if (x.constant) {
      Value v = x;
      if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
        v.integer = false;
      } else if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
        std::vector<int64_t> ints;
        const float* f = x.value.data();
        for (int64_t i = 0; i < x.value.numel(); ++i) ints.push_back(x.integer ? x.ints[static_cast<size_t>(i)] : to_int64(f[i]));
        Tensor t = Tensor::from_vector(x.value.shape(), std::vector<float>(ints.begin(), ints.end()));
        v.value = t;
        v.ints = std::move(ints);
        v.integer = true;
      } else {
        throw std::runtime_error("cast of a constant to " + detail::elem_type_name(static_cast<int>(to)) + " is not supported");
      }
      values_[node_->output(0)] = std::move(v);
      return;
    }
    if (to != onnx::TensorProto::FLOAT)
      throw std::runtime_error("cast of a computed tensor to " + detail::elem_type_name(static_cast<int>(to)) +
                               " is not supported (nn computes in float)");
    alias(0);
  }

  void constant_node() {
    allow_attrs({"value", "value_float", "value_floats", "value_int", "value_ints"});
    if (node_->attribute_size() != 1) throw std::runtime_error("needs exactly one value attribute");
    const auto& a = node_->attribute(0);
    const std::string where = here() + ": attribute '" + a.name() + "'";
    if (a.name() == "value") {
      if (a.type() != onnx::AttributeProto::TENSOR) throw std::runtime_error("attribute 'value' is not a tensor");
      set_constant(node_->output(0), a.t(), where);
    } else if (a.name() == "value_float") {
      output_constant(Tensor::full({}, attr_float("value_float", 0)));
    } else if (a.name() == "value_floats") {
      if (a.type() != onnx::AttributeProto::FLOATS) throw std::runtime_error("attribute 'value_floats' is not floats");
      output_constant(Tensor::from_vector({a.floats_size()}, std::vector<float>(a.floats().begin(), a.floats().end())));
    } else if (a.name() == "value_int") {
      output_ints({attr_int("value_int", 0)}, {});
    } else {
      if (a.type() != onnx::AttributeProto::INTS) throw std::runtime_error("attribute 'value_ints' is not ints");
      output_ints({a.ints().begin(), a.ints().end()}, {a.ints_size()});
    }
  }

  void activation(const std::string& op) {
    if (op == "LeakyRelu" || op == "Elu")
      allow_attrs({"alpha"});
    else
      allow_attrs({});
    const float alpha = attr_float("alpha", op == "Elu" ? 1.0f : 0.01f);
    LayerPtr l;
    if (op == "Relu") l = std::make_shared<ReLU>(ReLUOptions().name(layer_name()));
    else if (op == "LeakyRelu") l = std::make_shared<LeakyReLU>(LeakyReLUOptions().negative_slope(alpha).name(layer_name()));
    else if (op == "Elu") l = std::make_shared<ELU>(ELUOptions().alpha(alpha).name(layer_name()));
    else l = std::make_shared<Activation>(ActivationOptions(op == "Sigmoid" ? "sigmoid" : "tanh").name(layer_name()));
    if (in(0).constant) return output_constant(l->call({Variable(in(0).value)}).value());
    output(nn::apply(l, {computed(0)}));
  }

  // Clip(x, 0, max): a ReLU capped at max (relu6 as exported by PyTorch and nn).
  void clip() {
    allow_attrs({});  // opset 11 onwards: min and max are inputs
    const auto bound = [&](int i, const char* what) {
      const Value& v = constant(i, what);
      if (v.value.numel() != 1) throw std::runtime_error(fmt::format("{} must be a scalar", what));
      return static_cast<double>(v.value.data()[0]);
    };
    const double lo = has_input(1) ? bound(1, "min") : -INFINITY;
    if (lo != 0.0) throw std::runtime_error("only Clip with min 0 (a capped ReLU) is supported");
    ReLUOptions o;
    if (has_input(2)) o.max_value(bound(2, "max"));
    output(call<ReLU>(o, {computed(0)}));
  }

  void sum() {
    allow_attrs({});
    std::vector<SymbolicTensor> xs;
    for (int i = 0; i < inputs(); ++i) xs.push_back(computed(i));
    if (xs.size() == 1) return alias(0);
    for (const auto& x : xs)
      if (x.shape() != xs[0].shape()) throw std::runtime_error("broadcasting computed tensors is not supported");
    output(call<Add>(MergeOptions(), xs));
  }

  void softmax(const std::string& op) {
    allow_attrs({"axis"});
    const SymbolicTensor& x = computed(0);
    const auto rank = static_cast<int64_t>(x.shape().size()) + 1;
    const int axis = axis_of(attr_int("axis", opset_ < 13 ? 1 : -1), rank);
    const std::string act = op == "Softmax" ? "softmax" : "log_softmax";
    if (axis == rank - 1) return output(call<Activation>(ActivationOptions(act), {x}));
    if (opset_ < 13 && axis == 1) {  // over everything after the batch axis, as one vector
      SymbolicTensor flat = call<Flatten>(FlattenOptions(), {x});
      SymbolicTensor y = call<Activation>(ActivationOptions(act), {flat});
      return output(call<Reshape>(ReshapeOptions(x.shape()), {y}));
    }
    throw std::runtime_error(fmt::format("{} over axis {} of a rank-{} tensor is not supported (only the last axis)",
                                         op, axis, rank));
  }

  // A Dense layer computing x @ kernel (+ bias), kernel (K, N) and bias (N).
  void dense(const SymbolicTensor& x, const Tensor& kernel, const Tensor* bias) {
    if (x.shape().size() != 1)
      throw std::runtime_error("the computed operand must be (batch, features), got (N, " +
                               to_string(x.shape()).substr(1));
    if (kernel.shape().size() != 2 || kernel.shape()[0] != x.shape()[0])
      throw std::runtime_error(fmt::format("the weight {} does not fit features {}", to_string(kernel.shape()),
                                           x.shape()[0]));
    const int64_t units = kernel.shape()[1];
    std::shared_ptr<Dense> layer;
    SymbolicTensor y = call<Dense>(DenseOptions(units).use_bias(bias != nullptr), {x}, &layer);
    set_weight(*layer, "kernel", kernel);
    if (bias) set_weight(*layer, "bias", *bias);
    output(y);
  }

  // A bias for N units from a constant broadcast to (M, N) along M: (N), (1, N), () or (1).
  static Tensor bias_of(const Tensor& c, int64_t units, float beta, const char* what) {
    const Shape& s = c.shape();
    Tensor b;
    if (c.numel() == 1)
      b = Tensor::full({units}, c.data()[0]);
    else if ((s.size() == 1 && s[0] == units) || (s.size() == 2 && s[0] == 1 && s[1] == units))
      b = c.reshape({units});
    else
      throw std::runtime_error(fmt::format("{} of shape {} is not a bias for {} units", what, to_string(s), units));
    if (beta != 1.0f) b = scale(Variable(b), beta).value();
    return b;
  }

  void gemm() {
    allow_attrs({"alpha", "beta", "transA", "transB"});
    if (attr_int("transA", 0) != 0) throw std::runtime_error("transA=1 is not supported");
    const float alpha = attr_float("alpha", 1.0f), beta = attr_float("beta", 1.0f);
    const SymbolicTensor& x = computed(0);
    Tensor w = constant(1, "B").value;
    if (w.shape().size() != 2) throw std::runtime_error("B must be a matrix, got " + to_string(w.shape()));
    if (attr_int("transB", 0) != 0) w = nn::transpose(Variable(w)).value();
    if (alpha != 1.0f) w = scale(Variable(w), alpha).value();
    if (has_input(2)) {
      const Tensor b = bias_of(constant(2, "C").value, w.shape()[1], beta, "C");
      return dense(x, w, &b);
    }
    dense(x, w, nullptr);
  }

  void matmul() {
    allow_attrs({});
    const SymbolicTensor& x = computed(0);
    const Tensor& w = constant(1, "B").value;
    if (w.shape().size() != 2) throw std::runtime_error("B must be a matrix, got " + to_string(w.shape()));
    // MatMul then Add of a constant bias (as tf2onnx writes Dense): one Dense layer.
    const std::string& out = node_->output(0);
    if (uses_[out] == 1) {
      const onnx::GraphProto& g = m_.graph();
      for (int j = index_ + 1; j < g.node_size(); ++j) {
        const auto& n = g.node(j);
        const auto consumes = std::find(n.input().begin(), n.input().end(), out) != n.input().end();
        if (!consumes) continue;
        if (n.op_type() == "Add" && n.domain().empty() && n.input_size() == 2 && n.attribute_size() == 0 &&
            n.output_size() == 1) {
          const std::string& other = n.input(0) == out ? n.input(1) : n.input(0);
          const auto it = values_.find(other);
          if (it != values_.end() && it->second.constant) {
            const Shape& s = it->second.value.shape();
            const int64_t units = w.shape()[1];
            if ((s.size() == 1 && s[0] == units) || (s.size() == 2 && s[0] == 1 && s[1] == units)) {
              const Tensor b = it->second.value.reshape({units});
              dense(x, w, &b);
              values_[n.output(0)] = values_[out];
              fused_.insert(j);
              return;
            }
          }
        }
        break;
      }
    }
    dense(x, w, nullptr);
  }

  // ONNX's pads for a 2-d window (auto_pad, pads) as nn's padding, or as explicit amounts
  // {top, bottom, left, right} when nn's symmetric or 'same' forms do not say it.
  struct Window {
    Padding padding;
    std::vector<int64_t> explicit_pads;  // set when padding alone cannot express them
  };
  Window window(const Shape& x, Size2 kernel, Size2 strides) const {
    const std::string auto_pad = attr_string("auto_pad", "NOTSET");
    const auto same = [&](bool upper) {
      auto [t, b] = padding_amounts(Padding::same(), true, x[1], kernel.h, strides.h);
      auto [l, r] = padding_amounts(Padding::same(), false, x[2], kernel.w, strides.w);
      if (!upper) {
        std::swap(t, b);
        std::swap(l, r);
      }
      return std::vector<int64_t>{t, b, l, r};
    };
    std::vector<int64_t> p;
    if (auto_pad == "VALID") return {Padding::valid(), {}};
    if (auto_pad == "SAME_UPPER") return {Padding::same(), {}};
    if (auto_pad == "SAME_LOWER") {
      p = same(false);
    } else if (auto_pad == "NOTSET") {
      const auto pads = attr_ints("pads", {0, 0, 0, 0});
      if (pads.size() != 4) throw std::runtime_error(fmt::format("pads has {} values, 4 expected", pads.size()));
      for (int64_t v : pads)
        if (v < 0 || v > (int64_t{1} << 20)) throw std::runtime_error(fmt::format("pad {} is out of range", v));
      p = {pads[0], pads[2], pads[1], pads[3]};  // ONNX: [top, left, bottom, right]
    } else {
      throw std::runtime_error("auto_pad '" + cut(auto_pad) + "' is not supported");
    }
    if (p == same(true)) return {Padding::same(), {}};
    if (p[0] == p[1] && p[2] == p[3]) return {p[0] == 0 && p[2] == 0 ? Padding::valid() : Padding::values(p[0], p[2]), {}};
    return {Padding::valid(), p};
  }

  static Size2 pair(const std::vector<int64_t>& v, const char* what) {
    if (v.size() != 2) throw std::runtime_error(fmt::format("{} must have 2 values (2-d), got {}", what, v.size()));
    for (int64_t x : v)
      if (x < 1 || x > (int64_t{1} << 20)) throw std::runtime_error(fmt::format("{} value {} is out of range", what, x));
    return {v[0], v[1]};
  }

  void check_image(const SymbolicTensor& x) const {
    if (x.shape().size() != 3)
      throw std::runtime_error("only 2-d images (N, C, H, W) are supported, got a rank-" +
                               std::to_string(x.shape().size() + 1) + " input");
  }

  void no_dilation() const {
    for (int64_t d : attr_ints("dilations", {1, 1}))
      if (d != 1) throw std::runtime_error("dilations other than 1 are not supported");
  }

  void conv() {
    allow_attrs({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
    SymbolicTensor x = computed(0);
    check_image(x);
    no_dilation();
    if (attr_int("group", 1) != 1) throw std::runtime_error("group other than 1 is not supported");
    const Tensor& w = constant(1, "W").value;
    const Shape& ws = w.shape();
    if (ws.size() != 4 || ws[1] != x.shape()[0])
      throw std::runtime_error(fmt::format("weight {} does not fit input channels {}", to_string(ws), x.shape()[0]));
    const Size2 kernel = pair(attr_ints("kernel_shape", {ws[2], ws[3]}), "kernel_shape");
    if (kernel.h != ws[2] || kernel.w != ws[3]) throw std::runtime_error("kernel_shape disagrees with the weight's shape");
    const Size2 strides = pair(attr_ints("strides", {1, 1}), "strides");
    Window win = window(x.shape(), kernel, strides);
    if (!win.explicit_pads.empty()) x = zero_pad(x, win.explicit_pads);
    Tensor bias;
    if (has_input(2)) {
      bias = constant(2, "B").value;
      if (bias.shape() != Shape{ws[0]}) throw std::runtime_error("bias " + to_string(bias.shape()) + " does not fit the weight");
    }
    std::shared_ptr<Conv2D> layer;
    SymbolicTensor y = call<Conv2D>(Conv2DOptions(ws[0], kernel).strides(strides).padding(win.padding).use_bias(has_input(2)),
                                    {x}, &layer);
    set_weight(*layer, "kernel", w);
    if (has_input(2)) set_weight(*layer, "bias", bias);
    output(y);
  }

  SymbolicTensor zero_pad(const SymbolicTensor& x, const std::vector<int64_t>& p) {
    auto options = ZeroPadding2DOptions(p);
    options.name(layer_name(layer_name() + "_pad"));
    return nn::apply(std::make_shared<ZeroPadding2D>(std::move(options)), {x});
  }

  void pool(const std::string& op) {
    const bool max = op == "MaxPool";
    if (max)
      allow_attrs({"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
    else
      allow_attrs({"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"});
    SymbolicTensor x = computed(0);
    check_image(x);
    no_dilation();
    if (attr_int("storage_order", 0) != 0) throw std::runtime_error("storage_order 1 is not supported");
    if (!attr("kernel_shape")) throw std::runtime_error("kernel_shape is required");
    const Size2 kernel = pair(attr_ints("kernel_shape", {}), "kernel_shape");
    const Size2 strides = pair(attr_ints("strides", {1, 1}), "strides");
    Window win = window(x.shape(), kernel, strides);
    const bool include_pad = !max && attr_int("count_include_pad", 0) != 0;
    if (include_pad && (win.padding.mode != Padding::Mode::Valid || !win.explicit_pads.empty())) {
      // The padding counts in the average: pad with zeros, then average without padding.
      std::vector<int64_t> p = win.explicit_pads;
      if (p.empty()) {
        const auto [t, b] = padding_amounts(win.padding, true, x.shape()[1], kernel.h, strides.h);
        const auto [l, r] = padding_amounts(win.padding, false, x.shape()[2], kernel.w, strides.w);
        p = {t, b, l, r};
      }
      x = zero_pad(x, p);
      win = {Padding::valid(), {}};
    }
    if (!win.explicit_pads.empty())
      throw std::runtime_error("asymmetric pads other than SAME_UPPER's are not supported for " + op);
    Pooling2DOptions o(kernel);
    o.strides(strides).padding(win.padding);
    if (attr_int("ceil_mode", 0) != 0) {  // fine where rounding up gives the same extents
      for (int axis = 0; axis < 2; ++axis) {
        const int64_t in = x.shape()[static_cast<size_t>(axis + 1)];
        const int64_t k = axis == 0 ? kernel.h : kernel.w, s = axis == 0 ? strides.h : strides.w;
        const auto [a, b] = padding_amounts(win.padding, axis == 0, in, k, s);
        const int64_t span = in + a + b - k;
        if (span >= 0 && span % s != 0) throw std::runtime_error("ceil_mode=1 changes the output size here: not supported");
      }
    }
    output(max ? call<MaxPool2D>(o, {x}) : call<AveragePooling2D>(o, {x}));
  }

  void global_average_pool() {
    allow_attrs({});
    const SymbolicTensor& x = computed(0);
    check_image(x);
    SymbolicTensor y = call<GlobalAveragePooling2D>(GlobalAveragePooling2DOptions(), {x});
    auto options = ReshapeOptions(Shape{x.shape()[0], 1, 1});
    options.name(layer_name(layer_name() + "_keepdims"));
    output(nn::apply(std::make_shared<Reshape>(std::move(options)), {y}));
  }

  void batch_norm() {
    allow_attrs({"epsilon", "momentum", "training_mode"});
    if (attr_int("training_mode", 0) != 0) throw std::runtime_error("training_mode=1 is not supported");
    const SymbolicTensor& x = computed(0);
    if (x.shape().empty()) throw std::runtime_error("needs a channel axis");
    const int64_t c = x.shape()[0];
    const char* names[] = {"scale", "B", "input_mean", "input_var"};
    std::vector<Tensor> w;
    for (int i = 1; i <= 4; ++i) {
      w.push_back(constant(i, names[i - 1]).value);
      if (w.back().shape() != Shape{c})
        throw std::runtime_error(fmt::format("{} of shape {} does not fit {} channels", names[i - 1],
                                             to_string(w.back().shape()), c));
    }
    std::shared_ptr<BatchNormalization> layer;
    const auto o = BatchNormalizationOptions().axis(1).epsilon(attr_float("epsilon", 1e-5f)).momentum(attr_float("momentum", 0.9f));
    SymbolicTensor y = call<BatchNormalization>(o, {x}, &layer);
    set_weight(*layer, "gamma", w[0]);
    set_weight(*layer, "beta", w[1]);
    set_weight(*layer, "moving_mean", w[2]);
    set_weight(*layer, "moving_variance", w[3]);
    output(y);
  }

  // ---- shapes ----
  Shape full_shape(const Value& v) const {
    if (v.constant) return v.value.shape();
    Shape s{batch_};
    s.insert(s.end(), v.sym.shape().begin(), v.sym.shape().end());
    return s;
  }

  // A computed x reshaped to `target` (with its batch axis as the first extent).
  void reshape_to(const SymbolicTensor& x, Shape target, bool batch_kept) {
    if (!batch_kept) throw std::runtime_error("the new shape " + to_string(target) + " moves the batch axis");
    Shape sample(target.begin() + 1, target.end());
    if (sample == x.shape()) return alias(0);
    output(call<Reshape>(ReshapeOptions(sample), {x}));
  }

  void flatten() {
    allow_attrs({"axis"});
    const Value& v = in(0);
    const Shape s = full_shape(v);
    const auto rank = static_cast<int64_t>(s.size());
    int64_t axis = attr_int("axis", 1);  // in [-rank, rank]: the axes before it go to the first dimension
    if (axis < -rank || axis > rank) throw std::runtime_error(fmt::format("axis {} is out of range for rank {}", axis, rank));
    if (axis < 0) axis += rank;
    if (v.constant) {
      int64_t outer = 1;
      for (int i = 0; i < axis; ++i) outer *= s[static_cast<size_t>(i)];
      return output_constant(v.value.reshape({outer, v.value.numel() / std::max<int64_t>(outer, 1)}));
    }
    if (axis != 1) throw std::runtime_error(fmt::format("axis {} mixes the batch axis with others: only axis 1 is supported", axis));
    if (v.sym.shape().size() == 1) return alias(0);
    output(call<Flatten>(FlattenOptions(), {v.sym}));
  }

  void reshape_node() {
    allow_attrs({"allowzero"});
    const Value& v = in(0);
    std::vector<int64_t> shape = constant_ints(1, "shape");
    if (shape.size() > 8) throw std::runtime_error("a shape of over 8 dimensions");
    const bool allowzero = attr_int("allowzero", 0) != 0;
    const Shape in_shape = full_shape(v);
    bool batch_kept = false;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !allowzero) {
        if (i >= in_shape.size()) throw std::runtime_error("0 copies an extent the input does not have");
        shape[i] = in_shape[i];
        if (i == 0 && !v.constant) batch_kept = true;
      } else if (shape[i] < -1) {
        throw std::runtime_error(fmt::format("extent {} in the new shape", shape[i]));
      }
    }
    if (v.constant) {
      return output_constant(v.value.reshape(resolve(shape, v.value.numel())));
    }
    const int64_t per = numel(v.sym.shape());
    if (!batch_kept && !shape.empty()) {
      std::vector<int64_t> rest(shape.begin() + 1, shape.end());
      const bool rest_known = std::count(rest.begin(), rest.end(), -1) == 0;
      if (shape[0] == -1 && rest_known && numel(rest) == per) batch_kept = true;
      if (batch_ > 0 && shape[0] == batch_) batch_kept = true;
    }
    if (batch_kept && !shape.empty()) {
      std::vector<int64_t> rest(shape.begin() + 1, shape.end());
      Shape sample = resolve(rest, per);
      shape = {batch_};
      shape.insert(shape.end(), sample.begin(), sample.end());
    }
    reshape_to(v.sym, shape, batch_kept);
  }

  static Shape resolve(std::vector<int64_t> s, int64_t total) {
    int64_t known = 1;
    int unknown = -1;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == -1) {
        if (unknown >= 0) throw std::runtime_error("more than one -1 in the new shape");
        unknown = static_cast<int>(i);
      } else {
        known = checked_mul(known, s[i], "the new shape");
      }
    }
    if (unknown >= 0) {
      if (known == 0 || total % known != 0) throw std::runtime_error("the new shape does not divide the elements");
      s[static_cast<size_t>(unknown)] = total / known;
    } else if (known != total) {
      throw std::runtime_error(fmt::format("the new shape has {} elements, the tensor {}", known, total));
    }
    return s;
  }

  void transpose() {
    allow_attrs({"perm"});
    const Value& v = in(0);
    const auto rank = static_cast<int64_t>(full_shape(v).size());
    std::vector<int64_t> perm;
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
    perm = attr_ints("perm", perm);
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < static_cast<int64_t>(sorted.size()); ++i)
      if (static_cast<int64_t>(sorted.size()) != rank || sorted[static_cast<size_t>(i)] != i)
        throw std::runtime_error("perm is not a permutation of the input's axes");
    if (v.constant) {
      if (rank < 2) return alias(0);
      return output_constant(permute(Variable(v.value), std::vector<int>(perm.begin(), perm.end())).value());
    }
    if (perm[0] != 0) throw std::runtime_error("perm moves the batch axis");
    bool identity = true;
    for (int64_t i = 0; i < rank; ++i) identity = identity && perm[static_cast<size_t>(i)] == i;
    if (identity) return alias(0);
    output(call<Permute>(PermuteOptions(std::vector<int64_t>(perm.begin() + 1, perm.end())), {v.sym}));
  }

  void squeeze(bool squeeze) {
    allow_attrs({"axes"});
    const Value& v = in(0);
    const Shape s = full_shape(v);
    std::vector<int64_t> axes;
    bool given = false;
    if (opset_ < 13) {
      given = attr("axes") != nullptr;
      axes = attr_ints("axes", {});
    } else if (attr("axes")) {
      throw std::runtime_error("attribute 'axes' is an input since opset 13");
    } else if (has_input(1)) {
      given = true;
      axes = constant_ints(1, "axes");
    }
    if (!squeeze && !given) throw std::runtime_error("axes are required");
    const auto out_rank = static_cast<int64_t>(s.size()) + (squeeze ? 0 : static_cast<int64_t>(axes.size()));
    if (out_rank > 8) throw std::runtime_error("a rank over 8");
    std::set<int> marked;
    for (int64_t a : axes)
      if (!marked.insert(axis_of(a, squeeze ? static_cast<int64_t>(s.size()) : out_rank)).second)
        throw std::runtime_error("an axis is given twice");
    Shape out;
    if (squeeze) {
      for (size_t i = 0; i < s.size(); ++i) {
        const bool drop = given ? marked.count(static_cast<int>(i)) > 0 : (s[i] == 1 && (v.constant || i > 0));
        if (drop && s[i] != 1 && !(i == 0 && !v.constant))
          throw std::runtime_error(fmt::format("axis {} has extent {}, not 1", i, s[i]));
        if (!drop) out.push_back(s[i]);
      }
      if (!v.constant && given && marked.count(0)) throw std::runtime_error("squeezing the batch axis is not supported");
    } else {
      size_t next = 0;
      for (int64_t i = 0; i < out_rank; ++i) out.push_back(marked.count(static_cast<int>(i)) ? 1 : s[next++]);
      if (!v.constant && marked.count(0)) throw std::runtime_error("a new axis before the batch axis is not supported");
    }
    if (v.constant) return output_constant(v.value.reshape(out));
    reshape_to(v.sym, out, true);
  }

  void concat() {
    allow_attrs({"axis"});
    if (!attr("axis")) throw std::runtime_error("axis is required");
    bool all_constant = true, any_constant = false;
    for (int i = 0; i < inputs(); ++i) {
      all_constant = all_constant && in(i).constant;
      any_constant = any_constant || in(i).constant;
    }
    const auto rank = static_cast<int64_t>(full_shape(in(0)).size());
    const int axis = axis_of(attr_int("axis", 0), rank);
    if (all_constant) {
      bool integer = true;
      std::vector<Variable> parts;
      std::vector<int64_t> ints;
      int64_t n = 0;
      for (int i = 0; i < inputs(); ++i) {
        parts.emplace_back(in(i).value);
        integer = integer && in(i).integer;
        ints.insert(ints.end(), in(i).ints.begin(), in(i).ints.end());
        n += in(i).value.numel();
        if (n > kMaxFoldedElements) throw std::runtime_error("the concatenated constant is too large");
      }
      Tensor y = parts.size() == 1 ? parts[0].value() : concatenate(parts, axis).value();
      if (integer && rank == 1) return output_ints(ints, y.shape());
      return output_constant(y);
    }
    if (any_constant) throw std::runtime_error("joining computed tensors with constants is not supported");
    if (axis == 0) throw std::runtime_error("concatenating along the batch axis is not supported");
    std::vector<SymbolicTensor> xs;
    for (int i = 0; i < inputs(); ++i) xs.push_back(in(i).sym);
    if (xs.size() == 1) return alias(0);
    output(call<Concatenate>(ConcatenateOptions(axis), xs));
  }

  void arithmetic(const std::string& op) {
    allow_attrs({});
    const Value &a = in(0), &b = in(1);
    if (a.constant && b.constant) {
      const Shape s = broadcast_shapes(a.value.shape(), b.value.shape());
      if (numel(s) > kMaxFoldedElements) throw std::runtime_error("the computed constant is too large");
      const Variable x(a.value), y(b.value);
      Tensor r = op == "Add" ? add(x, y).value() : op == "Sub" ? sub(x, y).value()
                 : op == "Mul" ? mul(x, y).value() : div(x, y).value();
      if (a.integer && b.integer) {
        std::vector<int64_t> ints;
        const float* f = r.data();
        for (int64_t i = 0; i < r.numel(); ++i) ints.push_back(to_int64(f[i]));
        return output_ints(ints, r.shape());
      }
      return output_constant(r);
    }
    if (!a.constant && !b.constant) {
      if (a.sym.shape() != b.sym.shape())
        throw std::runtime_error(fmt::format("broadcasting computed tensors of shapes {} and {} is not supported",
                                             to_string(a.sym.shape()), to_string(b.sym.shape())));
      if (op == "Add") return output(call<Add>(MergeOptions(), {a.sym, b.sym}));
      if (op == "Sub") return output(call<Subtract>(MergeOptions(), {a.sym, b.sym}));
      if (op == "Mul") return output(call<Multiply>(MergeOptions(), {a.sym, b.sym}));
      throw std::runtime_error("Div of two computed tensors is not supported");
    }
    const bool constant_first = a.constant;
    const SymbolicTensor& x = constant_first ? b.sym : a.sym;
    Tensor c = constant_first ? a.value : b.value;
    // The constant, broadcast against (N, *x): without its batch extent (which must be 1).
    const auto full_rank = x.shape().size() + 1;
    if (c.shape().size() > full_rank) throw std::runtime_error("the constant has more axes than the computed tensor");
    if (c.shape().size() == full_rank) {
      if (c.shape()[0] != 1) throw std::runtime_error("the constant varies along the batch axis");
      c = c.reshape(Shape(c.shape().begin() + 1, c.shape().end()));
    }
    if (op == "Div" && constant_first) throw std::runtime_error("a constant divided by a computed tensor is not supported");
    RescalingOptions o;
    Tensor scale_t, offset_t;
    const bool scalar = c.numel() == 1;
    const float c0 = scalar ? c.data()[0] : 0.0f;
    if (op == "Add" || op == "Sub") {
      const float sign = op == "Sub" && !constant_first ? -1.0f : 1.0f;
      if (op == "Sub" && constant_first) o.scale(-1.0);
      if (scalar) {
        o.offset(static_cast<double>(sign * c0));
      } else {
        offset_t = sign == 1.0f ? c : nn::scale(Variable(c), -1.0f).value();
        o.offset_shape(c.shape());
      }
    } else if (op == "Mul") {
      if (scalar) {
        o.scale(static_cast<double>(c0));
      } else {
        scale_t = c;
        o.scale_shape(c.shape());
      }
    } else {  // x / c as x * (1 / c)
      const Tensor inv = div(Variable(Tensor::full(c.shape(), 1.0f)), Variable(c)).value();
      const float* f = inv.data();
      for (int64_t i = 0; i < inv.numel(); ++i)
        if (!std::isfinite(f[i])) throw std::runtime_error("division by a constant that holds 0");
      if (scalar) {
        o.scale(static_cast<double>(f[0]));
      } else {
        scale_t = inv;
        o.scale_shape(c.shape());
      }
    }
    if (!scalar) {  // the constant must broadcast to x without changing it
      const Shape s = broadcast_shapes(x.shape(), c.shape());
      if (s != x.shape())
        throw std::runtime_error(fmt::format("a constant of shape {} would change the shape {}", to_string(c.shape()),
                                             to_string(x.shape())));
    }
    std::shared_ptr<Rescaling> layer;
    SymbolicTensor y = call<Rescaling>(o, {x}, &layer);
    if (scale_t.defined()) set_weight(*layer, "scale", scale_t);
    if (offset_t.defined()) set_weight(*layer, "offset", offset_t);
    output(y);
  }

  void pad() {
    allow_attrs({"mode"});
    if (attr_string("mode", "constant") != "constant")
      throw std::runtime_error("mode '" + cut(attr_string("mode", "")) + "' is not supported (only constant)");
    const SymbolicTensor& x = computed(0);
    const std::vector<int64_t> pads = constant_ints(1, "pads");
    if (has_input(2)) {
      const Value& value = constant(2, "constant_value");
      if (value.value.numel() != 1 || value.value.data()[0] != 0.0f)
        throw std::runtime_error("a constant_value other than 0 is not supported");
    }
    if (has_input(3)) throw std::runtime_error("the axes input is not supported");
    const auto rank = x.shape().size() + 1;
    if (pads.size() != 2 * rank) throw std::runtime_error(fmt::format("pads has {} values for rank {}", pads.size(), rank));
    for (int64_t p : pads)
      if (p < 0 || p > (int64_t{1} << 20)) throw std::runtime_error(fmt::format("pad {} is not supported (0 to 2^20)", p));
    if (rank != 4 || pads[0] || pads[1] || pads[4] || pads[5])
      throw std::runtime_error("only padding the two spatial axes of (N, C, H, W) is supported");
    output(call<ZeroPadding2D>(ZeroPadding2DOptions({pads[2], pads[6], pads[3], pads[7]}), {x}));
  }

  const onnx::ModelProto& m_;
  std::string file_;
  LoadOptions options_;
  int opset_ = 0;
  std::set<std::string> other_domains_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;
  std::set<int> fused_;
  std::set<std::string> names_;
  const onnx::NodeProto* node_ = nullptr;
  int index_ = 0;
  int64_t folded_ = 0;
  int64_t batch_ = -1;
  bool batch_known_ = false;
};

std::string read_bytes(const std::string& path) {
  const nn::detail::InputFile file(path);
  if (file.size() > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(path + ": over 2 GiB, protobuf's limit for one message");
  std::string bytes(static_cast<size_t>(file.size()), '\0');
  if (!bytes.empty()) file.read_at(0, bytes.data(), bytes.size());
  return bytes;
}

}  // namespace

std::vector<std::string> onnx_import_operators() { return {supported_ops().begin(), supported_ops().end()}; }

Model load_onnx_bytes(const std::string& bytes, const std::string& name, const LoadOptions& options) {
  onnx::ModelProto proto;
  detail::parse_proto(bytes, name, proto);
  return Importer(proto, name, options).run();
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
