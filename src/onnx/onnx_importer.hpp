#pragma once
// The ONNX importer (nn::load_onnx, onnx_import.cpp): its state and its helpers for the node being
// visited; the operators are defined in onnx_import_layers.cpp (the nodes that become layers with
// weights and activations) and onnx_import_shapes.cpp (shapes, arithmetic, joins and padding).
//
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

namespace nn::io::detail {

constexpr int64_t kMaxFoldedElements = int64_t{1} << 24;  // one constant computed at import
constexpr int64_t kMaxFoldedTotal = int64_t{1} << 26;     // all of them together
constexpr int64_t kMaxSampleElements = int64_t{1} << 28;  // one value, per example

// The operators the importer reads (of the default domain).
const std::set<std::string>& supported_ops();
// A float constant as an integer (a shape, an axis): whole and in range, else an error.
int64_t to_int64(float f);

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

  Model run();

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
    const Variable w = layer.weight(name);
    if (!w.defined()) throw std::logic_error(layer.describe() + " has no weight " + name);
    if (w.shape() != value.shape())
      throw std::logic_error(layer.describe() + ": weight " + name + " of shape " + to_string(w.shape()) + " given " +
                             to_string(value.shape()));
    Tensor dst = w.value();  // shares the weight's storage
    dst.copy_from(value);
  }


  int axis_of(int64_t axis, int64_t rank) const {
    if (axis < -rank || axis >= rank)
      throw std::runtime_error(fmt::format("axis {} is out of range for rank {}", axis, rank));
    return static_cast<int>(axis < 0 ? axis + rank : axis);
  }

  // ---- the operators ----
  void visit();
  void dropout();
  void cast();
  void constant_node();
  void activation(const std::string& op);
  // Clip(x, 0, max): a ReLU capped at max (relu6 as exported by PyTorch and nn).
  void clip();
  void sum();
  void softmax(const std::string& op);
  // A Dense layer computing x @ kernel (+ bias), kernel (K, N) and bias (N).
  void dense(const SymbolicTensor& x, const Tensor& kernel, const Tensor* bias);
  // A bias for N units from a constant broadcast to (M, N) along M: (N), (1, N), () or (1).
  static Tensor bias_of(const Tensor& c, int64_t units, float beta, const char* what);
  void gemm();
  void matmul();
  // ONNX's pads for a 2-d window (auto_pad, pads) as nn's padding, or as explicit amounts
  // {top, bottom, left, right} when nn's symmetric or 'same' forms do not say it.
  struct Window {
    Padding padding;
    std::vector<int64_t> explicit_pads;  // set when padding alone cannot express them
  };
  Window window(const Shape& x, Size2 kernel, Size2 strides) const;
  static Size2 pair(const std::vector<int64_t>& v, const char* what);
  void check_image(const SymbolicTensor& x) const;
  void no_dilation() const;
  void conv();
  SymbolicTensor zero_pad(const SymbolicTensor& x, const std::vector<int64_t>& p);
  void pool(const std::string& op);
  void global_average_pool();
  void batch_norm();
  // ---- shapes ----
  Shape full_shape(const Value& v) const;
  // A computed x reshaped to `target` (with its batch axis as the first extent).
  void reshape_to(const SymbolicTensor& x, Shape target, bool batch_kept);
  void flatten();
  void reshape_node();
  static Shape resolve(std::vector<int64_t> s, int64_t total);
  void transpose();
  void squeeze(bool squeeze);
  void concat();
  void arithmetic(const std::string& op);
  void pad();

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

}  // namespace nn::io::detail
