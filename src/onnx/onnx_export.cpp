// nn::save_onnx: a model's graph as an ONNX ModelProto (IR 8, opset 17), one or a few ONNX nodes
// per layer call, the weights as initializers.
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/io/atomic_file.hpp"
#include "nn/io/onnx.hpp"
#include "nn/layers/activation.hpp"
#include "nn/layers/augmentation.hpp"
#include "nn/layers/average_pooling2d.hpp"
#include "nn/layers/batch_normalization.hpp"
#include "nn/layers/conv2d.hpp"
#include "nn/layers/dense.hpp"
#include "nn/layers/dropout.hpp"
#include "nn/layers/flatten.hpp"
#include "nn/layers/max_pool2d.hpp"
#include "nn/layers/merge.hpp"
#include "nn/layers/rescaling.hpp"
#include "nn/layers/reshape.hpp"
#include "nn/layers/zero_padding2d.hpp"
#include "onnx/onnx_common.hpp"

namespace nn::io {
namespace {

std::vector<int64_t> config_ints(const Layer& layer, const char* key) {
  const Config c = layer.config();
  const auto it = c.find(key);
  if (it == c.end()) throw std::logic_error(layer.describe() + ": no '" + key + "' in its config");
  return std::get<std::vector<int64_t>>(it->second);
}

class Exporter {
 public:
  explicit Exporter(const Model& model) : model_(model) {}

  onnx::ModelProto run() {
    if (!model_.built()) throw std::invalid_argument("ONNX export: the model is not built (give it an input shape)");
    proto_.set_ir_version(kOnnxIrVersion);
    proto_.set_producer_name("nn");
    proto_.set_producer_version(NN_VERSION_STRING);
    proto_.set_model_version(1);
    proto_.set_doc_string("exported by nn " NN_VERSION_STRING);
    auto* opset = proto_.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxOpset);
    auto* meta = proto_.add_metadata_props();
    meta->set_key("model_name");
    meta->set_value(model_.name());
    meta = proto_.add_metadata_props();
    meta->set_key("nn_version");
    meta->set_value(NN_VERSION_STRING);
    g_ = proto_.mutable_graph();
    g_->set_name(model_.name());

    const auto& nodes = model_.nodes();
    std::map<const Layer*, int> calls;
    values_.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      const GraphNode& n = nodes[i];
      const int call = calls[n.layer.get()]++;
      base_ = call == 0 ? n.layer->name() : fmt::format("{}_{}", n.layer->name(), call);
      std::vector<std::string> in;
      std::vector<Shape> in_shapes;
      for (int j : n.inputs) {
        in.push_back(values_[static_cast<size_t>(j)]);
        in_shapes.push_back(nodes[static_cast<size_t>(j)].shape);
      }
      if (dynamic_cast<const InputLayer*>(n.layer.get())) {
        values_[i] = unique(n.layer->name());
        add_value_info(g_->add_input(), values_[i], n.shape);
        continue;
      }
      values_[i] = layer(*n.layer, in, in_shapes, n.shape);
      // The value a layer call computes is named after it ("dense_1"), as Keras's exports name them.
      const int last = g_->node_size() - 1;
      if (last >= 0 && g_->node(last).output(0) == values_[i]) {
        values_[i] = unique(base_);
        g_->mutable_node(last)->set_output(0, values_[i]);
      }
    }
    // Outputs: each named after the layer call that computes it (an Identity where that value is
    // an input or already an output).
    std::set<std::string> output_names;
    for (int o : model_.output_nodes()) {
      std::string v = values_[static_cast<size_t>(o)];
      const bool is_input = dynamic_cast<const InputLayer*>(nodes[static_cast<size_t>(o)].layer.get()) != nullptr;
      if (is_input || output_names.count(v)) {
        const std::string alias = unique(v + "_output");
        node("Identity", {v}, alias);
        v = alias;
      }
      output_names.insert(v);
      add_value_info(g_->add_output(), v, nodes[static_cast<size_t>(o)].shape);
    }
    return std::move(proto_);
  }

 private:
  // ---- building blocks ----
  std::string unique(const std::string& base) {
    std::string name = base;
    for (int k = 1; !names_.insert(name).second; ++k) name = fmt::format("{}_{}", base, k);
    return name;
  }

  static void add_value_info(onnx::ValueInfoProto* v, const std::string& name, const Shape& shape) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = t->mutable_shape();
    s->add_dim()->set_dim_param("N");
    for (int64_t d : shape) s->add_dim()->set_dim_value(d);
  }

  // A float32 initializer holding t (any float dtype, any device).
  std::string initializer(const std::string& suffix, const Tensor& t) {
    const std::string name = unique(base_ + "/" + suffix);
    detail::tensor_to_proto(t, name, g_->add_initializer());
    return name;
  }
  std::string int64_initializer(const std::string& suffix, const std::vector<int64_t>& values) {
    const std::string name = unique(base_ + "/" + suffix);
    auto* p = g_->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::INT64);
    p->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) p->add_int64_data(v);
    return name;
  }
  std::string scalar(const std::string& suffix, float value) {
    return initializer(suffix, Tensor::full({}, value));
  }

  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output) {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(unique(base_ + "/" + op));
    for (const auto& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }
  // A node whose output is a fresh value named after the layer (and the op, for inner steps).
  std::string step(const std::string& op, const std::vector<std::string>& inputs, onnx::NodeProto** out = nullptr) {
    const std::string v = unique(base_ + "/" + op + "_out");
    auto* n = node(op, inputs, v);
    if (out) *out = n;
    return v;
  }
  static void attr(onnx::NodeProto* n, const char* name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto* n, const char* name, float v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto* n, const char* name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void attr(onnx::NodeProto* n, const char* name, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }

  // Keras's activations by name, in ONNX's operators of opset 17.
  std::string activation(const std::string& act, const std::string& x) {
    onnx::NodeProto* n = nullptr;
    if (act == "linear") return x;
    if (act == "relu") return step("Relu", {x});
    if (act == "sigmoid") return step("Sigmoid", {x});
    if (act == "tanh") return step("Tanh", {x});
    if (act == "softplus") return step("Softplus", {x});
    if (act == "softsign") return step("Softsign", {x});
    if (act == "exponential") return step("Exp", {x});
    if (act == "selu") return step("Selu", {x});  // ONNX's defaults are Keras's constants
    if (act == "hard_silu") return step("HardSwish", {x});
    if (act == "elu") return step("Elu", {x});
    if (act == "softmax" || act == "log_softmax") {
      const std::string v = step(act == "softmax" ? "Softmax" : "LogSoftmax", {x}, &n);
      attr(n, "axis", int64_t{-1});
      return v;
    }
    if (act == "leaky_relu") {
      const std::string v = step("LeakyRelu", {x}, &n);
      attr(n, "alpha", 0.2f);
      return v;
    }
    if (act == "relu6") return step("Clip", {x, scalar("zero", 0.0f), scalar("six", 6.0f)});
    if (act == "hard_sigmoid") {  // relu6(x + 3) / 6
      const std::string v = step("HardSigmoid", {x}, &n);
      attr(n, "alpha", 1.0f / 6.0f);
      attr(n, "beta", 0.5f);
      return v;
    }
    if (act == "silu") return step("Mul", {x, step("Sigmoid", {x})});
    if (act == "mish") return step("Mul", {x, step("Tanh", {step("Softplus", {x})})});
    if (act == "log_sigmoid") return step("Neg", {step("Softplus", {step("Neg", {x})})});
    if (act == "gelu") {  // x * (1 + erf(x / sqrt(2))) / 2
      const std::string e = step("Erf", {step("Div", {x, scalar("sqrt2", std::sqrt(2.0f))})});
      return step("Mul", {step("Mul", {x, step("Add", {e, scalar("one", 1.0f)})}), scalar("half", 0.5f)});
    }
    throw std::invalid_argument("ONNX export: activation '" + act + "' has no ONNX form");
  }

  // pads for a 2-d window over an input (C, H, W): [top, left, bottom, right].
  static std::vector<int64_t> pads(const Padding& p, const Shape& in, Size2 kernel, Size2 strides) {
    const auto [t, b] = padding_amounts(p, true, in[1], kernel.h, strides.h);
    const auto [l, r] = padding_amounts(p, false, in[2], kernel.w, strides.w);
    return {t, l, b, r};
  }

  // ---- one layer call ----
  std::string layer(const Layer& l, const std::vector<std::string>& in, const std::vector<Shape>& in_shapes,
                    const Shape& out_shape) {
    const std::string& x = in[0];
    const Shape& xs = in_shapes[0];
    onnx::NodeProto* n = nullptr;
    std::string y;
    if (const auto* d = dynamic_cast<const Dense*>(&l)) {
      std::vector<std::string> args{x, initializer("kernel", d->kernel().value())};
      if (d->bias().defined()) args.push_back(initializer("bias", d->bias().value()));
      y = activation(d->activation(), step("Gemm", args));
    } else if (const auto* c = dynamic_cast<const Conv2D*>(&l)) {
      const auto& o = c->options();
      std::vector<std::string> args{x, initializer("kernel", c->kernel().value())};
      if (c->bias().defined()) args.push_back(initializer("bias", c->bias().value()));
      const std::string v = step("Conv", args, &n);
      attr(n, "kernel_shape", std::vector<int64_t>{o.kernel_size().h, o.kernel_size().w});
      attr(n, "strides", std::vector<int64_t>{o.strides().h, o.strides().w});
      attr(n, "pads", pads(o.padding(), xs, o.kernel_size(), o.strides()));
      y = activation(o.activation(), v);
    } else if (const auto* p = dynamic_cast<const Pooling2D*>(&l)) {
      const bool max = dynamic_cast<const MaxPool2D*>(&l) != nullptr;
      y = step(max ? "MaxPool" : "AveragePool", {x}, &n);
      attr(n, "kernel_shape", std::vector<int64_t>{p->pool_size().h, p->pool_size().w});
      attr(n, "strides", std::vector<int64_t>{p->strides().h, p->strides().w});
      attr(n, "pads", pads(p->padding(), xs, p->pool_size(), p->strides()));
      if (!max) attr(n, "count_include_pad", int64_t{0});  // nn averages the cells inside the input
    } else if (dynamic_cast<const GlobalAveragePooling2D*>(&l)) {
      y = step("Flatten", {step("GlobalAveragePool", {x})}, &n);  // (N, C, 1, 1) -> (N, C)
      attr(n, "axis", int64_t{1});
    } else if (const auto* bn = dynamic_cast<const BatchNormalization*>(&l)) {
      y = batch_norm(*bn, x, xs);
    } else if (dynamic_cast<const Dropout*>(&l) || dynamic_cast<const RandomAugmentation*>(&l)) {
      y = step("Identity", {x});  // training-only layers: inference passes the input through
    } else if (dynamic_cast<const Flatten*>(&l)) {
      y = step("Flatten", {x}, &n);
      attr(n, "axis", int64_t{1});
    } else if (dynamic_cast<const Reshape*>(&l)) {
      std::vector<int64_t> shape{0};  // 0: the batch extent, copied
      for (int64_t v : config_ints(l, "target_shape")) shape.push_back(v);
      y = step("Reshape", {x, int64_initializer("shape", shape)});
    } else if (dynamic_cast<const Permute*>(&l)) {
      std::vector<int64_t> perm{0};
      for (int64_t v : config_ints(l, "dims")) perm.push_back(v);
      y = step("Transpose", {x}, &n);
      attr(n, "perm", perm);
    } else if (const auto* a = dynamic_cast<const Activation*>(&l)) {
      y = activation(a->activation(), x);
      if (y == x) y = step("Identity", {x});
    } else if (l.type() == "ReLU") {
      y = relu_layer(l, x);
    } else if (l.type() == "LeakyReLU") {
      y = step("LeakyRelu", {x}, &n);
      attr(n, "alpha", static_cast<float>(config_number(l, "negative_slope")));
    } else if (l.type() == "ELU") {
      y = step("Elu", {x}, &n);
      attr(n, "alpha", static_cast<float>(config_number(l, "alpha")));
    } else if (l.type() == "Softmax") {
      y = step("Softmax", {x}, &n);
      attr(n, "axis", int64_t{-1});
    } else if (dynamic_cast<const Add*>(&l)) {
      y = step(in.size() == 2 ? "Add" : "Sum", in);
    } else if (dynamic_cast<const Multiply*>(&l)) {
      y = step("Mul", {in[0], in[1]});
      for (size_t i = 2; i < in.size(); ++i) y = step("Mul", {y, in[i]});
    } else if (dynamic_cast<const Subtract*>(&l)) {
      y = step("Sub", in);
    } else if (const auto* cat = dynamic_cast<const Concatenate*>(&l)) {
      y = step("Concat", in, &n);
      attr(n, "axis", cat->axis());
    } else if (const auto* r = dynamic_cast<const Rescaling*>(&l)) {
      y = x;
      const auto& o = r->options();
      if (r->scale().defined())
        y = step("Mul", {y, initializer("scale", r->scale().value())});
      else if (o.scale() != 1.0)
        y = step("Mul", {y, scalar("scale", static_cast<float>(o.scale()))});
      if (r->offset().defined())
        y = step("Add", {y, initializer("offset", r->offset().value())});
      else if (o.offset() != 0.0)
        y = step("Add", {y, scalar("offset", static_cast<float>(o.offset()))});
      if (y == x) y = step("Identity", {x});
    } else if (const auto* z = dynamic_cast<const ZeroPadding2D*>(&l)) {
      const auto& amounts = z->padding();  // top, bottom, left, right
      y = step("Pad", {x, int64_initializer("pads", {0, 0, amounts[0], amounts[2], 0, 0, amounts[1], amounts[3]})}, &n);
      attr(n, "mode", std::string("constant"));
    } else {
      throw std::invalid_argument("ONNX export: " + l.describe() + " has no ONNX form (nn exports " +
                                  "Dense, Conv2D, the pooling layers, BatchNormalization, Dropout, the augmentation layers, Flatten, Reshape, "
                                  "Permute, the activation layers, the merge layers, Rescaling and ZeroPadding2D)");
    }
    (void)out_shape;
    return y;
  }

  static double config_number(const Layer& l, const char* key) {
    const Config c = l.config();
    const auto it = c.find(key);
    if (it == c.end()) throw std::logic_error(l.describe() + ": no '" + key + "' in its config");
    if (const auto* d = std::get_if<double>(&it->second)) return *d;
    return static_cast<double>(std::get<int64_t>(it->second));
  }

  std::string relu_layer(const Layer& l, const std::string& x) {
    const Config c = l.config();
    const double slope = config_number(l, "negative_slope");
    onnx::NodeProto* n = nullptr;
    std::string y;
    if (slope == 0.0 && c.count("max_value")) {
      y = x;  // Clip below does both
    } else if (slope == 0.0) {
      y = step("Relu", {x});
    } else {
      y = step("LeakyRelu", {x}, &n);
      attr(n, "alpha", static_cast<float>(slope));
    }
    if (c.count("max_value")) {
      const float cap = static_cast<float>(config_number(l, "max_value"));
      y = slope == 0.0 ? step("Clip", {x, scalar("min", 0.0f), scalar("max_value", cap)})  // as relu6
                       : step("Min", {y, scalar("max_value", cap)});
    }
    return y;
  }

  // Inference form: ONNX's BatchNormalization on axis 1; on another axis, x * a + b with a and b
  // shaped to broadcast along it.
  std::string batch_norm(const BatchNormalization& bn, const std::string& x, const Shape& xs) {
    const auto& o = bn.options();
    const int rank = static_cast<int>(xs.size()) + 1;
    const int axis = o.axis() < 0 ? o.axis() + rank : o.axis();
    const Tensor mean = bn.moving_mean().to(Device::cpu()).to(kFloat32);
    const Tensor var = bn.moving_variance().to(Device::cpu()).to(kFloat32);
    const int64_t channels = mean.numel();
    const Tensor gamma = bn.gamma().defined() ? bn.gamma().value().to(Device::cpu()).to(kFloat32) : Tensor::ones({channels});
    const Tensor beta = bn.beta().defined() ? bn.beta().value().to(Device::cpu()).to(kFloat32) : Tensor::zeros({channels});
    if (axis == 1) {
      onnx::NodeProto* n = nullptr;
      const std::string y = step("BatchNormalization",
                                 {x, initializer("gamma", gamma), initializer("beta", beta),
                                  initializer("moving_mean", mean), initializer("moving_variance", var)},
                                 &n);
      attr(n, "epsilon", o.epsilon());
      attr(n, "momentum", o.momentum());
      return y;
    }
    Shape bshape(static_cast<size_t>(rank - axis), 1);
    bshape[0] = channels;
    std::vector<float> a(static_cast<size_t>(channels)), b(static_cast<size_t>(channels));
    const float *g = gamma.data(), *be = beta.data(), *m = mean.data(), *v = var.data();
    for (int64_t c = 0; c < channels; ++c) {
      a[static_cast<size_t>(c)] = g[c] / std::sqrt(v[c] + o.epsilon());
      b[static_cast<size_t>(c)] = be[c] - m[c] * a[static_cast<size_t>(c)];
    }
    return step("Add", {step("Mul", {x, initializer("scale", Tensor::from_vector(bshape, a))}),
                        initializer("offset", Tensor::from_vector(bshape, b))});
  }

  const Model& model_;
  onnx::ModelProto proto_;
  onnx::GraphProto* g_ = nullptr;
  std::set<std::string> names_;
  std::vector<std::string> values_;
  std::string base_;
};

}  // namespace

std::string onnx_bytes(const Model& model) {
  const onnx::ModelProto proto = Exporter(model).run();
  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    throw std::runtime_error("ONNX export: the model does not serialize (over protobuf's 2 GiB limit?)");
  return bytes;
}

void save_onnx(const Model& model, const std::string& path) { write_file_atomically(path, onnx_bytes(model)); }

bool is_onnx_path(const std::string& path) {
  return path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

}  // namespace nn::io
