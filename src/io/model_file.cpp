// Writing model files (the format is in model_format.hpp; reading is in model_reader.cpp).
#include "nn/io/model_file.hpp"

#include <cstring>
#include <map>

#include <nlohmann/json.hpp>

#include "nn/io/atomic_file.hpp"
#include "io/model_format.hpp"
#include "nn/io/crc32c.hpp"
#include "nn/optim/optimizer.hpp"
#include "util/bytes.hpp"

namespace nn::io {
namespace {

using json = nlohmann::json;

json to_json(const Config& c) {
  json j = json::object();
  for (const auto& [k, v] : c) std::visit([&, &key = k](const auto& x) { j[key] = x; }, v);
  return j;
}

struct TensorTable {
  json entries = json::array();
  std::vector<Tensor> tensors;
  uint64_t bytes = 0;
  int add(const std::string& name, const Tensor& t) {
    bytes = (bytes + 7) / 8 * 8;  // every dtype's elements aligned
    entries.push_back({{"name", name}, {"shape", t.shape()}, {"dtype", to_string(t.dtype())}, {"offset", bytes}});
    tensors.push_back(t);
    bytes += t.nbytes();
    return static_cast<int>(tensors.size()) - 1;
  }
};

std::string serialize(const json& header, const TensorTable& table) {
  const std::string h = header.dump();
  std::string out(detail::kMagic, sizeof(detail::kMagic));
  nn::detail::put_le(out, kModelFormatVersion, 4);
  nn::detail::put_le(out, h.size(), 8);
  out += h;
  out.reserve(out.size() + table.bytes + 4);
  const size_t data_start = out.size();
  for (const auto& t : table.tensors) {
    out.resize(data_start + (out.size() - data_start + 7) / 8 * 8, '\0');  // the offset add() gave it
    const Tensor host = t.to(Device::cpu());
    const size_t at = out.size();
    out.resize(at + host.nbytes());
    std::memcpy(out.data() + at, host.raw_data(), host.nbytes());
    nn::detail::to_little_endian(out.data() + at, host.numel(), element_size(host.dtype()));
  }
  nn::detail::put_le(out, crc32c(out.data(), out.size()), 4);
  return out;
}

json layer_json(const Layer& l) {
  return {{"type", l.type()}, {"config", to_json(l.config())}, {"state", to_json(l.state())}};
}

json architecture(const Model& model) {
  json layers = json::array();
  if (model.is_sequential()) {
    for (const auto& l : model.layers()) layers.push_back(layer_json(*l));
    json arch = {{"class", "Sequential"}, {"name", model.name()}, {"layers", layers}};
    arch["input_shape"] = model.built() ? json(model.input_shape()) : json(nullptr);
    return arch;
  }
  // The inputs' layers, then the computing ones (in parameter order); the graph's nodes in
  // topological order, each naming its layer by position in that list.
  std::map<const Layer*, size_t> index;
  for (const auto& l : model.input_layers()) {
    index.emplace(l.get(), layers.size());
    layers.push_back(layer_json(*l));
  }
  for (const auto& l : model.layers()) {
    index.emplace(l.get(), layers.size());
    layers.push_back(layer_json(*l));
  }
  json nodes = json::array();
  for (const GraphNode& n : model.nodes()) nodes.push_back({{"layer", index.at(n.layer.get())}, {"inputs", n.inputs}});
  return {{"class", "Functional"}, {"name", model.name()},        {"layers", layers},
          {"nodes", nodes},        {"inputs", model.input_nodes()}, {"outputs", model.output_nodes()}};
}

json loss_json(const Loss& loss) {
  return {{"name", loss.name()}, {"from_logits", loss.from_logits()}, {"label_smoothing", loss.label_smoothing()}};
}

json weights_table(const Model& model, TensorTable& table) {
  json weights = json::array();
  for (const auto& l : model.layers())
    for (const auto& [name, p] : l->named_parameters())
      weights.push_back(
          {{"name", l->name() + "/" + name}, {"tensor", table.add(l->name() + "/" + name, p.value())}});
  return weights;
}

}  // namespace

void save_model(const Model& model, const std::string& path) {
  TensorTable table;
  json header = {{"format", "nn.model"}, {"kind", "model"}, {"model", architecture(model)}};
  header["weights"] = weights_table(model, table);
  header["compile"] = nullptr;
  if (model.compiled()) {
    const Optimizer& opt = model.optimizer();
    const OptimizerState state = opt.state();
    json slots = json::object();
    for (const auto& [slot, tensors] : state.slots) {
      json ids = json::array();
      for (size_t i = 0; i < tensors.size(); ++i)
        ids.push_back(table.add("optimizer/" + slot + "/" + std::to_string(i), tensors[i]));
      slots[slot] = ids;
    }
    json optimizer = {{"type", opt.type()}, {"config", to_json(opt.config())}};
    if (opt.schedule())
      optimizer["schedule"] = {{"type", opt.schedule()->type()}, {"config", to_json(opt.schedule()->config())}};
    header["compile"] = {
        {"optimizer", optimizer},
        {"optimizer_state",
         {{"iterations", state.iterations}, {"learning_rate", state.learning_rate}, {"slots", slots}}},
        {"loss", loss_json(model.loss())},
        {"metrics", model.metric_names()}};
    if (model.losses().size() > 1) {  // one per output; "loss" is the first, for readers of one
      json losses = json::array();
      for (const auto& l : model.losses()) losses.push_back(loss_json(*l));
      header["compile"]["losses"] = losses;
    }
    if (!model.loss_weights().empty()) header["compile"]["loss_weights"] = model.loss_weights();
  }
  header["tensors"] = table.entries;
  nn::io::write_file_atomically(path, serialize(header, table));
}

void save_weights(const Model& model, const std::string& path) {
  TensorTable table;
  json header = {{"format", "nn.model"}, {"kind", "weights"}, {"model", architecture(model)}};
  header["weights"] = weights_table(model, table);
  header["tensors"] = table.entries;
  nn::io::write_file_atomically(path, serialize(header, table));
}

}  // namespace nn::io
