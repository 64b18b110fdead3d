#include "io/model_reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "io/compile_reader.hpp"
#include "io/header_parser.hpp"
#include "io/json_field.hpp"
#include "io/model_format.hpp"
#include "model/graph.hpp"
#include "nn/model/sequential.hpp"
#include "nn/io/crc32c.hpp"
#include "nn/optim/optimizer.hpp"
#include "util/bytes.hpp"

namespace nn::io::detail {
namespace {

using json = nlohmann::json;
using nn::detail::ByteSource;
using nn::detail::JsonField;

struct TensorEntry {
  std::string name;
  Shape shape;
  DType dtype = kFloat32;
  uint64_t offset = 0, bytes = 0;
  bool used = false;
};


class ModelReader {
 public:
  // Runs f, turning a malformed-header exception into an error naming the file.
  template <class F>
  auto guarded(F&& f) {
    try {
      return f();
    } catch (const json::exception& e) {
      fail(std::string("malformed header: ") + e.what());
    } catch (const std::invalid_argument& e) {
      fail(e.what());
    } catch (const std::out_of_range& e) {
      fail(e.what());
    }
  }

  ModelReader(const ByteSource& src, const LoadOptions& options)
      : src_(src), path_(src.name()), options_(options) {
    read_prefix_and_header();
    read_tensor_table();
  }

  Model model() {
    const JsonField h = root();
    if (h["format"].string() != "nn.model") h["format"].fail("expected \"nn.model\"");
    const std::string kind = h["kind"].string();
    if (kind == "weights")
      h["kind"].fail("the file holds only weights: build the model and use load_weights");
    if (kind != "model") h["kind"].fail("expected \"model\" or \"weights\"");
    const JsonField arch = h["model"];
    const std::string cls = arch["class"].string(64);
    std::optional<Model> built;
    if (cls == "Functional") {
      // The graph checked and its weights planned without building anything; then the model,
      // whose layers allocate as they are built.
      Graph g = graph(arch);
      check_weight_list(h["weights"], planned_);
      try {
        built.emplace(g.nodes, g.inputs, g.outputs, arch["name"].string(256), /*initialize=*/false);
      } catch (const std::invalid_argument& e) {
        arch["nodes"].fail(e.what());
      }
    } else {
      // Layers first, unbuilt; their weights checked against the table; only then a model (whose
      // layers allocate as they are built).
      std::vector<LayerPtr> layers = architecture(arch);
      check_weights(h["weights"], layers);
      Sequential seq(arch["name"].string(256));
      for (size_t i = 0; i < layers.size(); ++i) {
        try {
          seq.add(std::move(layers[i]));
        } catch (const std::invalid_argument& e) {
          arch["layers"][i].fail(e.what());
        }
      }
      if (!arch["input_shape"].is_null()) seq.build(input_shape(arch["input_shape"]), /*initialize=*/false);
      built.emplace(std::move(seq));
    }
    Model& model = *built;
    const JsonField c = h["compile"];
    CompileSpec spec;
    OptimizerState state;
    if (!c.is_null()) {
      spec = read_compile(c, model);
      state = optimizer_state(c["optimizer_state"], *spec.optimizer);
    }
    // Everything is consistent: fill.
    fill(h["weights"], model.parameters());
    if (spec.optimizer) {
      try {
        model.compile(spec.optimizer, spec.losses, spec.metrics, spec.loss_weights);
      } catch (const std::invalid_argument& e) {
        c.fail(e.what());
      }
      for (auto& [slot, ids] : slot_ids_)
        for (int id : ids) state.slots[slot].push_back(tensor(id).to(kFloat32));
      if (model.built()) spec.optimizer->load_state(state);
    }
    return std::move(*built);
  }

  void weights_into(Model& model) {
    const JsonField h = root();
    if (h["format"].string() != "nn.model") h["format"].fail("expected \"nn.model\"");
    const bool has_shape = h["model"].has("input_shape") && !h["model"]["input_shape"].is_null();
    const JsonField shape = has_shape ? h["model"]["input_shape"] : h["model"];
    const bool build = !model.built() && has_shape;
    // The shapes the model's weights have (or will have, built for the file's input shape),
    // checked against the file before anything is allocated.
    std::vector<Shape> expected;
    if (build) {
      for (const auto& [name, s] : planned_weights(model.layers(), input_shape(shape),
                                                   [&](size_t, const std::string& what) { shape.fail(what); }))
        expected.push_back(s);
    } else {
      for (const Variable& p : model.parameters()) expected.push_back(p.shape());
    }
    const JsonField w = h["weights"];
    if (w.size() != expected.size())
      w.fail(fmt::format("the file holds {} weights, the model has {}", w.size(), expected.size()));
    // Matched by position, as Keras's load_weights does; shapes must agree.
    for (size_t i = 0; i < expected.size(); ++i) claim(w[i]["tensor"], expected[i], "");
    if (build) {
      try {
        model.build(input_shape(shape), /*initialize=*/false);
      } catch (const std::invalid_argument& e) {
        shape.fail(e.what());
      }
    }
    fill(w, model.parameters());
  }

  [[noreturn]] void fail(const std::string& what) const { nn::detail::file_error(path_, what); }

 private:
  JsonField root() const { return JsonField(header_, ""); }

  void read_prefix_and_header() {
    const uint64_t size = src_.size();
    char prefix[kPrefix] = {};
    src_.read_at(0, prefix, static_cast<size_t>(std::min<uint64_t>(size, kPrefix)));
    if (size < sizeof(kMagic) || std::memcmp(prefix, kMagic, sizeof(kMagic)) != 0)
      fail("not an nn model file (bad magic bytes)");
    if (size < kPrefix + 4) fail(fmt::format("truncated ({} bytes)", size));
    const auto* p = reinterpret_cast<const unsigned char*>(prefix);
    const auto version = static_cast<uint32_t>(nn::detail::get_le(p + 8, 4));
    if (version < 1 || version > kModelFormatVersion)
      fail(fmt::format("unsupported format version {} (this build of nn reads versions 1 to {}){}", version,
                       kModelFormatVersion, version > kModelFormatVersion ? ": written by a newer nn" : ""));
    version_ = version;
    const uint64_t header_size = nn::detail::get_le(p + 12, 8);
    if (header_size > size - kPrefix - 4) fail("truncated (header runs past the end of the file)");
    if (header_size > kMaxHeaderBytes)
      fail(fmt::format("header of {} bytes is larger than the limit of {}", header_size, kMaxHeaderBytes));
    check_crc(size);
    std::string text(static_cast<size_t>(header_size), '\0');
    src_.read_at(kPrefix, text.data(), text.size());
    try {
      header_ = parse_header(text);
    } catch (const json::exception& e) {
      fail(std::string("malformed header: ") + e.what());
    } catch (const std::invalid_argument& e) {
      fail(std::string("header refused: ") + e.what());
    }
    if (!header_.is_object()) fail("malformed header: not a JSON object");
    data_start_ = kPrefix + header_size;
    data_size_ = size - 4 - data_start_;
  }

  void check_crc(uint64_t size) {
    std::vector<char> buf(size_t{1} << 20);
    uint32_t crc = 0;
    for (uint64_t at = 0; at < size - 4;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - 4 - at));
      src_.read_at(at, buf.data(), n);
      crc = crc32c(buf.data(), n, crc);
      at += n;
    }
    unsigned char stored[4];
    src_.read_at(size - 4, stored, 4);
    if (crc != static_cast<uint32_t>(nn::detail::get_le(stored, 4)))
      fail("corrupt or truncated (checksum mismatch)");
  }

  // Every tensor: a name, a shape, an aligned offset; inside the data section; no two overlapping.
  void read_tensor_table() {
    guarded([&] {
      const JsonField t = root()["tensors"];
      for (size_t i = 0; i < t.size(); ++i) {
        TensorEntry e;
        e.name = t[i]["name"].string(1024);
        e.shape = t[i]["shape"].integers(0, kMaxExtent, 8);
        e.offset = static_cast<uint64_t>(t[i]["offset"].integer(0, std::numeric_limits<int64_t>::max()));
        uint64_t n = 0;
        try {
          n = static_cast<uint64_t>(numel(e.shape));  // checked: below 2^56
        } catch (const std::invalid_argument& err) {
          t[i]["shape"].fail(err.what());
        }
        if (version_ >= 2) {
          try {
            e.dtype = dtype_from_string(t[i]["dtype"].string(16));
          } catch (const std::invalid_argument& err) {
            if (std::strncmp(err.what(), "field '", 7) == 0) throw;
            t[i]["dtype"].fail(err.what());
          }
        }
        const uint64_t size = element_size(e.dtype);
        e.bytes = n * size;
        if (e.offset % size != 0) t[i]["offset"].fail(fmt::format("is not a multiple of {}", size));
        if (e.offset > data_size_ || e.bytes > data_size_ - e.offset)
          t[i].fail(fmt::format("tensor '{}' of shape {} lies outside the data section ({} bytes)", e.name,
                                to_string(e.shape), data_size_));
        tensors_.push_back(std::move(e));
      }
      std::vector<size_t> order(tensors_.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(),
                [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
      for (size_t k = 1; k < order.size(); ++k) {
        const TensorEntry& a = tensors_[order[k - 1]];
        const TensorEntry& b = tensors_[order[k]];
        if (a.bytes > 0 && b.bytes > 0 && a.offset + a.bytes > b.offset)
          t.fail(fmt::format("tensors '{}' and '{}' overlap", a.name, b.name));
      }
      return 0;
    });
  }

  static Shape input_shape(const JsonField& f) { return f.integers(1, kMaxExtent, 8); }

  // The layers, created from their configs (no weights yet, nothing built).
  std::vector<LayerPtr> architecture(const JsonField& arch) {
    if (arch["class"].string() != "Sequential")
      arch["class"].fail("unknown model class (expected \"Sequential\" or \"Functional\")");
    arch["name"].string(256);
    std::vector<LayerPtr> result;
    const JsonField layers = arch["layers"];
    for (size_t i = 0; i < layers.size(); ++i) {
      const JsonField l = layers[i];
      try {
        LayerPtr layer = create_layer(l["type"].string(256), l["config"].config());
        if (l.has("state")) layer->load_state(l["state"].config());
        result.push_back(std::move(layer));
      } catch (const std::invalid_argument& e) {
        if (std::strncmp(e.what(), "field '", 7) == 0) throw;
        l.fail(e.what());
      }
    }
    if (layers.size() == 0 && !arch["input_shape"].is_null())
      arch["input_shape"].fail("a model without layers has no input shape");
    return result;
  }

  struct Graph {
    std::vector<GraphNode> nodes;
    std::vector<int> inputs, outputs;
  };

  // A functional model's layers and nodes, checked as a graph (indices, cycles, names, shapes),
  // with the weights it needs in planned_; nothing is built.
  Graph graph(const JsonField& arch) {
    arch["name"].string(256);
    std::vector<LayerPtr> layers;
    const JsonField lf = arch["layers"];
    if (static_cast<int64_t>(lf.size()) > kMaxLayers) lf.fail(fmt::format("more than {} layers", kMaxLayers));
    for (size_t i = 0; i < lf.size(); ++i) {
      const JsonField l = lf[i];
      try {
        LayerPtr layer = create_layer(l["type"].string(256), l["config"].config());
        if (l.has("state")) layer->load_state(l["state"].config());
        layers.push_back(std::move(layer));
      } catch (const std::invalid_argument& e) {
        if (std::strncmp(e.what(), "field '", 7) == 0) throw;
        l.fail(e.what());
      }
    }
    Graph g;
    const JsonField nf = arch["nodes"];
    if (static_cast<int64_t>(nf.size()) > kMaxLayers) nf.fail(fmt::format("more than {} nodes", kMaxLayers));
    const auto max_node = static_cast<int64_t>(nf.size()) - 1;
    std::vector<int> uses(layers.size(), 0);
    for (size_t i = 0; i < nf.size(); ++i) {
      const JsonField n = nf[i];
      const auto li = static_cast<size_t>(n["layer"].integer(0, static_cast<int64_t>(layers.size()) - 1));
      std::vector<int> ins;
      const JsonField inf = n["inputs"];
      if (inf.size() > 1024) inf.fail("more than 1024 inputs");
      for (size_t k = 0; k < inf.size(); ++k) ins.push_back(static_cast<int>(inf[k].integer(0, max_node)));
      if (++uses[li] > 1 && dynamic_cast<const InputLayer*>(layers[li].get()))
        n["layer"].fail("an Input is used by one node only");
      g.nodes.push_back({layers[li], std::move(ins), {}});
    }
    for (size_t i = 0; i < layers.size(); ++i)
      if (uses[i] == 0) lf[i].fail(layers[i]->describe() + " is in no node of the graph");
    const JsonField inputs = arch["inputs"], outputs = arch["outputs"];
    if (inputs.size() > 1024) inputs.fail("more than 1024 inputs");
    if (outputs.size() > 1024) outputs.fail("more than 1024 outputs");
    for (size_t k = 0; k < inputs.size(); ++k) g.inputs.push_back(static_cast<int>(inputs[k].integer(0, max_node)));
    for (size_t k = 0; k < outputs.size(); ++k) g.outputs.push_back(static_cast<int>(outputs[k].integer(0, max_node)));
    try {
      planned_ = nn::detail::planned_weights(nn::detail::plan_graph(g.nodes, g.inputs, g.outputs));
    } catch (const std::invalid_argument& e) {
      nf.fail(e.what());
    }
    return g;
  }

  // Each weight `layers` would have for inputs of `shape`, as ("<layer>/<weight>", shape), from their
  // specs without building anything. A layer that declares an input shape must receive it; layer
  // i's error goes to fail(i, message), which throws.
  template <class Fail>
  static std::vector<std::pair<std::string, Shape>> planned_weights(const std::vector<LayerPtr>& layers, Shape shape,
                                                                    const Fail& fail) {
    std::vector<std::pair<std::string, Shape>> specs;
    for (size_t i = 0; i < layers.size(); ++i) {
      const Layer& layer = *layers[i];
      const Shape& declared = layer.declared_input_shape();
      if (!declared.empty() && declared != shape)
        fail(i, fmt::format("{} declares input shape {} but receives {}", layer.describe(), to_string(declared),
                            to_string(shape)));
      try {
        for (const WeightSpec& s : layer.weight_specs(shape)) specs.emplace_back(layer.name() + "/" + s.name, s.shape);
        shape = layer.compute_output_shape(shape);
      } catch (const std::invalid_argument& e) {
        fail(i, e.what());
      }
    }
    return specs;
  }

  // The weights the architecture needs for its input shape (the file's, else the one its first
  // layer declares), checked against the file's weight list and tensor table without building
  // anything; kept in planned_ for the optimizer state's slots.
  void check_weights(const JsonField& weights, const std::vector<LayerPtr>& layers) {
    const JsonField shape_field = root()["model"]["input_shape"];
    const JsonField layer_fields = root()["model"]["layers"];
    std::optional<Shape> shape;
    if (!shape_field.is_null())
      shape = input_shape(shape_field);
    else if (!layers.empty() && !layers.front()->declared_input_shape().empty())
      shape = layers.front()->declared_input_shape();
    if (shape)
      planned_ = planned_weights(layers, *shape, [&](size_t i, const std::string& what) { layer_fields[i].fail(what); });
    check_weight_list(weights, planned_);
  }

  // The file's weight list against the weights the architecture needs, claiming each tensor.
  void check_weight_list(const JsonField& weights, const std::vector<std::pair<std::string, Shape>>& specs) {
    if (weights.size() != specs.size())
      weights.fail(
          fmt::format("the file holds {} weights, its architecture has {}", weights.size(), specs.size()));
    for (size_t i = 0; i < specs.size(); ++i) {
      if (weights[i]["name"].string(1024) != specs[i].first)
        weights[i]["name"].fail(fmt::format("expected '{}'", specs[i].first));
      claim(weights[i]["tensor"], specs[i].second, specs[i].first);
    }
  }

  // Marks a table entry as used by one weight or slot: it must exist, be unused, carry the
  // expected name (when given) and have the expected shape.
  int claim(const JsonField& id_field, const Shape& shape, const std::string& name) {
    const auto id = static_cast<size_t>(id_field.integer(0, static_cast<int64_t>(tensors_.size()) - 1));
    TensorEntry& e = tensors_[id];
    if (e.used) id_field.fail(fmt::format("tensor {} ('{}') is already used by another weight", id, e.name));
    if (!name.empty() && e.name != name)
      id_field.fail(fmt::format("tensor {} is '{}', expected '{}'", id, e.name, name));
    if (e.shape != shape)
      id_field.fail(fmt::format("tensor {} ('{}') has shape {}, expected {}", id, e.name, to_string(e.shape),
                                to_string(shape)));
    if (!is_floating(e.dtype))
      id_field.fail(fmt::format("tensor {} ('{}') is {}: weights and optimizer state are floating point", id, e.name,
                                nn::to_string(e.dtype)));
    e.used = true;
    return static_cast<int>(id);
  }

  OptimizerState optimizer_state(const JsonField& s, const Optimizer& opt) {
    OptimizerState state;
    state.iterations = s["iterations"].integer(0, int64_t{1} << 53);
    state.learning_rate =
        static_cast<float>(s["learning_rate"].number(0.0, std::numeric_limits<float>::max()));
    std::vector<Shape> shapes;  // the weights', as check_weights planned them
    for (const auto& [name, shape] : planned_) shapes.push_back(shape);
    const JsonField slots = s["slots"];
    std::vector<std::string> names = slots.keys(), expected = opt.slot_names();
    std::sort(names.begin(), names.end());
    std::sort(expected.begin(), expected.end());
    if (names != expected)
      slots.fail(fmt::format("{} keeps the slots [{}], the file has [{}]", opt.type(),
                             fmt::join(expected, ", "), fmt::join(names, ", ")));
    for (const auto& slot : expected) {
      const JsonField ids = slots[slot];
      if (ids.size() != shapes.size())
        ids.fail(fmt::format("{} tensors for {} parameters", ids.size(), shapes.size()));
      for (size_t i = 0; i < shapes.size(); ++i)
        slot_ids_[slot].push_back(claim(ids[i], shapes[i], "optimizer/" + slot + "/" + std::to_string(i)));
    }
    return state;
  }

  // Reads weight i's tensor into params[i] (shapes were checked by claim()). All are read and
  // checked before any parameter changes, so load_weights into a model that a refused file
  // cannot leave it half overwritten.
  void fill(const JsonField& weights, const std::vector<Variable>& params) {
    std::vector<Tensor> values;
    for (size_t i = 0; i < params.size(); ++i) {
      const auto id =
          static_cast<size_t>(weights[i]["tensor"].integer(0, static_cast<int64_t>(tensors_.size()) - 1));
      values.push_back(tensor(static_cast<int>(id)).to(params[i].value().dtype()));  // stored in any float type
    }
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor dst = params[i].value();  // shares the parameter's storage
      dst.copy_from(values[i]);
    }
  }

  // Table entry id in its stored dtype, on the host.
  Tensor tensor(int id) {
    const TensorEntry& e = tensors_[static_cast<size_t>(id)];
    Tensor t(e.shape, TensorOptions().dtype(e.dtype));
    if (e.bytes == 0) return t;
    src_.read_at(data_start_ + e.offset, t.raw_data(), static_cast<size_t>(e.bytes));
    nn::detail::to_little_endian(t.raw_data(), t.numel(), element_size(e.dtype));
    if (!options_.allow_non_finite() && is_floating(e.dtype)) {
      const Tensor f = t.to(kFloat32);
      const float* v = f.data();
      for (int64_t i = 0; i < f.numel(); ++i)
        if (!std::isfinite(v[i]))
          fail(fmt::format("tensor '{}' holds {} at element {} of {}: a model with weights that are not finite "
                           "cannot predict (LoadOptions().allow_non_finite(true) loads it for debugging)",
                           e.name, std::isnan(v[i]) ? "NaN" : v[i] > 0 ? "+inf" : "-inf", i, to_string(e.shape)));
    }
    return t;
  }

 private:
  const ByteSource& src_;
  std::string path_;
  LoadOptions options_;
  json header_;
  uint64_t data_start_ = 0, data_size_ = 0;
  uint32_t version_ = kModelFormatVersion;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, std::vector<int>> slot_ids_;
  std::vector<std::pair<std::string, Shape>> planned_;  // check_weights: each weight's name and shape
};

}  // namespace

Model read_model(const ByteSource& source, const LoadOptions& options) {
  ModelReader reader(source, options);
  return reader.guarded([&] { return reader.model(); });
}

void read_weights(const ByteSource& source, Model& model, const LoadOptions& options) {
  ModelReader reader(source, options);
  reader.guarded([&] {
    reader.weights_into(model);
    return 0;
  });
}

}  // namespace nn::io::detail

namespace nn::io {

Model load_model(const std::string& path, const LoadOptions& options) {
  const nn::detail::InputFile file(path);
  Model model = detail::read_model(file, options);
  if (options.device() != Device::cpu()) model.to(options.device());
  return model;
}

Model load_model(const std::string& path, Device device) {
  return load_model(path, LoadOptions().device(device));
}

void load_weights(Model& model, const std::string& path, const LoadOptions& options) {
  const nn::detail::InputFile file(path);
  detail::read_weights(file, model, options);
}

}  // namespace nn::io
