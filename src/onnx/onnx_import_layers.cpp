// The ONNX operators that become nn layers with weights or activations (onnx_importer.hpp).
#include "onnx/onnx_importer.hpp"

namespace nn::io::detail {

void Importer::dropout() {
  allow_attrs({"ratio", "seed"});
  if (has_input(2)) {
    const Value& t = constant(2, "training_mode");
    if (t.value.numel() != 1 || t.value.data()[0] != 0.0f)
      throw std::runtime_error("training_mode must be false: nn imports models for inference and fine-tuning");
  }
  alias(0);
}

void Importer::cast() {
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

void Importer::constant_node() {
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

void Importer::activation(const std::string& op) {
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
void Importer::clip() {
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

void Importer::sum() {
  allow_attrs({});
  std::vector<SymbolicTensor> xs;
  for (int i = 0; i < inputs(); ++i) xs.push_back(computed(i));
  if (xs.size() == 1) return alias(0);
  for (const auto& x : xs)
    if (x.shape() != xs[0].shape()) throw std::runtime_error("broadcasting computed tensors is not supported");
  output(call<Add>(MergeOptions(), xs));
}

void Importer::softmax(const std::string& op) {
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
void Importer::dense(const SymbolicTensor& x, const Tensor& kernel, const Tensor* bias) {
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
Tensor Importer::bias_of(const Tensor& c, int64_t units, float beta, const char* what) {
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

void Importer::gemm() {
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

void Importer::matmul() {
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

Importer::Window Importer::window(const Shape& x, Size2 kernel, Size2 strides) const {
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

Size2 Importer::pair(const std::vector<int64_t>& v, const char* what) {
  if (v.size() != 2) throw std::runtime_error(fmt::format("{} must have 2 values (2-d), got {}", what, v.size()));
  for (int64_t x : v)
    if (x < 1 || x > (int64_t{1} << 20)) throw std::runtime_error(fmt::format("{} value {} is out of range", what, x));
  return {v[0], v[1]};
}

void Importer::check_image(const SymbolicTensor& x) const {
  if (x.shape().size() != 3)
    throw std::runtime_error("only 2-d images (N, C, H, W) are supported, got a rank-" +
                             std::to_string(x.shape().size() + 1) + " input");
}

void Importer::no_dilation() const {
  for (int64_t d : attr_ints("dilations", {1, 1}))
    if (d != 1) throw std::runtime_error("dilations other than 1 are not supported");
}

void Importer::conv() {
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

SymbolicTensor Importer::zero_pad(const SymbolicTensor& x, const std::vector<int64_t>& p) {
  auto options = ZeroPadding2DOptions(p);
  options.name(layer_name(layer_name() + "_pad"));
  return nn::apply(std::make_shared<ZeroPadding2D>(std::move(options)), {x});
}

void Importer::pool(const std::string& op) {
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

void Importer::global_average_pool() {
  allow_attrs({});
  const SymbolicTensor& x = computed(0);
  check_image(x);
  SymbolicTensor y = call<GlobalAveragePooling2D>(GlobalAveragePooling2DOptions(), {x});
  auto options = ReshapeOptions(Shape{x.shape()[0], 1, 1});
  options.name(layer_name(layer_name() + "_keepdims"));
  output(nn::apply(std::make_shared<Reshape>(std::move(options)), {y}));
}

void Importer::batch_norm() {
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

}  // namespace nn::io::detail
