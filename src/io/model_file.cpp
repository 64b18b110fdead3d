#include "nn/io/model_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nn/io/crc32c.hpp"
#include "nn/optim/optimizer.hpp"

namespace nn::io {
namespace {

using json = nlohmann::json;
constexpr char kMagic[8] = {'\x89', 'N', 'N', 'M', 'O', 'D', 'E', 'L'};
constexpr size_t kPrefix = 8 + 4 + 8;  // magic, version, header length

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// ---------------------------------------------------------------- Config <-> JSON

json to_json(const Config& c) {
  json j = json::object();
  for (const auto& [k, v] : c) std::visit([&, &key = k](const auto& x) { j[key] = x; }, v);
  return j;
}

Config from_json(const json& j) {
  if (!j.is_object()) throw std::invalid_argument("config is not an object");
  Config c;
  for (const auto& [k, v] : j.items()) {
    if (v.is_boolean()) c[k] = v.get<bool>();
    else if (v.is_number_integer()) c[k] = v.get<int64_t>();
    else if (v.is_number_float()) c[k] = v.get<double>();
    else if (v.is_string()) c[k] = v.get<std::string>();
    else if (v.is_array()) c[k] = v.get<std::vector<int64_t>>();
    else throw std::invalid_argument("config key '" + k + "' has an unsupported value");
  }
  return c;
}

// ---------------------------------------------------------------- writing

struct TensorTable {
  json entries = json::array();
  std::vector<Tensor> tensors;
  uint64_t bytes = 0;
  int add(const std::string& name, const Tensor& t) {
    entries.push_back({{"name", name}, {"shape", t.shape()}, {"offset", bytes}});
    tensors.push_back(t);
    bytes += static_cast<uint64_t>(t.numel()) * 4;
    return static_cast<int>(tensors.size()) - 1;
  }
};

void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string serialize(const json& header, const TensorTable& table) {
  static_assert(sizeof(float) == 4, "float32 expected");
  const std::string h = header.dump();
  std::string out(kMagic, sizeof(kMagic));
  put_u32(out, kModelFormatVersion);
  put_u64(out, h.size());
  out += h;
  const size_t data_start = out.size();
  out.resize(data_start + table.bytes);
  size_t at = data_start;
  for (const auto& t : table.tensors) {
    const auto v = t.to_vector();  // host copy, any device
    for (float f : v) {            // little-endian, whatever the host
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      for (int i = 0; i < 4; ++i) out[at++] = static_cast<char>((bits >> (8 * i)) & 0xFF);
    }
  }
  put_u32(out, crc32c(out.data(), out.size()));
  return out;
}

// Write to a temporary file beside `path`, flush it to disk, then rename over `path`.
void write_atomically(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  static std::atomic<int> counter{0};
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) fail(path, "directory '" + dir.string() + "' does not exist");
  const std::string tmp = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(getpid()) + "-" +
                                  std::to_string(counter++)))
                              .string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, std::string("cannot create temporary file: ") + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path, "write failed: " + err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail(path, "flush failed: " + err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    fail(path, "rename failed: " + err);
  }
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // make the rename itself durable
    ::close(dfd);
  }
}

json architecture(const Sequential& model) {
  json layers = json::array();
  for (const auto& l : model.layers())
    layers.push_back({{"type", l->type()}, {"config", to_json(l->config())}, {"state", to_json(l->state())}});
  json arch = {{"class", "Sequential"}, {"name", model.name()}, {"layers", layers}};
  arch["input_shape"] = model.built() ? json(model.input_shape()) : json(nullptr);
  return arch;
}

json weights_table(const Sequential& model, TensorTable& table) {
  json weights = json::array();
  for (const auto& l : model.layers())
    for (const auto& [name, p] : l->named_parameters())
      weights.push_back({{"name", l->name() + "/" + name}, {"tensor", table.add(l->name() + "/" + name, p.value())}});
  return weights;
}

// ---------------------------------------------------------------- reading

struct ModelFile {
  std::string path;
  std::string bytes;
  json header;
  size_t data_start = 0, data_size = 0;

  explicit ModelFile(const std::string& p) : path(p) {
    std::ifstream in(p, std::ios::binary | std::ios::ate);
    if (!in) fail(p, "cannot open for reading");
    const std::streamoff size = in.tellg();
    if (size < 0) fail(p, "cannot determine the file size");
    bytes.resize(static_cast<size_t>(size));
    in.seekg(0);
    if (!in.read(bytes.data(), size)) fail(p, "read error");
    if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
      fail(p, "not an nn model file (bad magic bytes)");
    if (bytes.size() < kPrefix + 4) fail(p, "truncated (" + std::to_string(bytes.size()) + " bytes)");
    const uint32_t version = get_u32(bytes.data() + 8);
    if (version != kModelFormatVersion)
      fail(p, fmt::format("unsupported format version {} (this build of nn reads version {}){}", version,
                          kModelFormatVersion, version > kModelFormatVersion ? ": written by a newer nn" : ""));
    const uint64_t header_size = get_u64(bytes.data() + 12);
    if (header_size > bytes.size() - kPrefix - 4) fail(p, "truncated (header runs past the end of the file)");
    const uint32_t stored = get_u32(bytes.data() + bytes.size() - 4);
    if (crc32c(bytes.data(), bytes.size() - 4) != stored)
      fail(p, "corrupt or truncated (checksum mismatch)");
    try {
      header = json::parse(bytes.begin() + kPrefix, bytes.begin() + static_cast<std::ptrdiff_t>(kPrefix + header_size));
    } catch (const json::exception& e) {
      fail(p, std::string("malformed header: ") + e.what());
    }
    data_start = kPrefix + header_size;
    data_size = bytes.size() - 4 - data_start;
  }

  Tensor tensor(int index) const {
    const json& t = header.at("tensors").at(static_cast<size_t>(index));
    const Shape shape = t.at("shape").get<Shape>();
    for (int64_t d : shape)
      if (d < 0) fail(path, "tensor '" + t.at("name").get<std::string>() + "' has a negative extent");
    const uint64_t offset = t.at("offset").get<uint64_t>();
    const uint64_t n = static_cast<uint64_t>(numel(shape));
    if (offset > data_size || n * 4 > data_size - offset)
      fail(path, "tensor '" + t.at("name").get<std::string>() + "' lies outside the data section");
    std::vector<float> v(n);
    const char* p = bytes.data() + data_start + offset;
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t bits = get_u32(p + 4 * i);
      std::memcpy(&v[i], &bits, 4);
    }
    return Tensor::from_vector(shape, v);
  }

  // Runs f, turning a malformed-header exception into an error naming the file.
  template <class F>
  auto guarded(F&& f) const {
    try {
      return f();
    } catch (const json::exception& e) {
      fail(path, std::string("malformed header: ") + e.what());
    } catch (const std::invalid_argument& e) {
      fail(path, e.what());
    }
  }
};

// Weights are matched by position (as Keras's load_weights does), and each must have the
// shape of the parameter it lands in.
void assign_weights(const ModelFile& file, Sequential& model) {
  const json& weights = file.header.at("weights");
  const std::vector<Variable> params = model.parameters();
  if (weights.size() != params.size())
    fail(file.path, fmt::format("holds {} weights, the model has {}", weights.size(), params.size()));
  std::vector<Tensor> values;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor t = file.tensor(weights[i].at("tensor").get<int>());
    if (t.shape() != params[i].shape())
      fail(file.path, fmt::format("weight '{}' has shape {}, the model's '{}' has {}", weights[i].at("name").get<std::string>(),
                                  to_string(t.shape()), params[i].name(), to_string(params[i].shape())));
    values.push_back(t);
  }
  model.set_weights(values);
}

}  // namespace

void save_model(const Sequential& model, const std::string& path) {
  TensorTable table;
  json header = {{"format", "nn.model"}, {"kind", "model"}, {"model", architecture(model)}};
  header["weights"] = weights_table(model, table);
  header["compile"] = nullptr;
  if (model.compiled()) {
    const Optimizer& opt = model.optimizer();
    const Loss& loss = model.loss();
    const OptimizerState state = opt.state();
    json slots = json::object();
    for (const auto& [slot, tensors] : state.slots) {
      json ids = json::array();
      for (size_t i = 0; i < tensors.size(); ++i) ids.push_back(table.add("optimizer/" + slot + "/" + std::to_string(i), tensors[i]));
      slots[slot] = ids;
    }
    header["compile"] = {
        {"optimizer", {{"type", opt.type()}, {"config", to_json(opt.config())}}},
        {"optimizer_state", {{"iterations", state.iterations}, {"learning_rate", state.learning_rate}, {"slots", slots}}},
        {"loss", {{"name", loss.name()}, {"from_logits", loss.from_logits()}}},
        {"metrics", model.metric_names()}};
  }
  header["tensors"] = table.entries;
  write_atomically(path, serialize(header, table));
}

Sequential load_model(const std::string& path) {
  const ModelFile file(path);
  return file.guarded([&] {
    const json& h = file.header;
    if (h.at("format") != "nn.model") fail(path, "not an nn model file (format field)");
    if (h.at("kind") != "model") fail(path, "holds only weights: build the model and use load_weights");
    const json& arch = h.at("model");
    if (arch.at("class") != "Sequential") fail(path, "unknown model class " + arch.at("class").dump());
    Sequential model(arch.at("name").get<std::string>());
    for (const auto& l : arch.at("layers")) {
      LayerPtr layer = create_layer(l.at("type").get<std::string>(), from_json(l.at("config")));
      if (l.contains("state")) layer->load_state(from_json(l.at("state")));
      model.add(layer);
    }
    if (!arch.at("input_shape").is_null()) model.build(arch.at("input_shape").get<Shape>());
    assign_weights(file, model);
    const json& c = h.at("compile");
    if (!c.is_null()) {
      const json& o = c.at("optimizer");
      auto opt = create_optimizer(o.at("type").get<std::string>(), from_json(o.at("config")));
      const json& l = c.at("loss");
      LossPtr loss = make_loss(l.at("name").get<std::string>(), l.at("from_logits").get<bool>());
      model.compile(opt, loss, c.at("metrics").get<std::vector<std::string>>());
      const json& s = c.at("optimizer_state");
      OptimizerState state;
      state.iterations = s.at("iterations").get<int64_t>();
      state.learning_rate = s.at("learning_rate").get<float>();
      for (const auto& [slot, ids] : s.at("slots").items())
        for (const auto& id : ids) state.slots[slot].push_back(file.tensor(id.get<int>()));
      if (model.built()) opt->load_state(state);
    }
    return model;
  });
}

void save_weights(const Sequential& model, const std::string& path) {
  TensorTable table;
  json header = {{"format", "nn.model"}, {"kind", "weights"}, {"model", architecture(model)}};
  header["weights"] = weights_table(model, table);
  header["tensors"] = table.entries;
  write_atomically(path, serialize(header, table));
}

void load_weights(Sequential& model, const std::string& path) {
  const ModelFile file(path);
  file.guarded([&] {
    if (file.header.at("format") != "nn.model") fail(path, "not an nn model file (format field)");
    const json& arch = file.header.at("model");
    if (!model.built() && !arch.at("input_shape").is_null()) model.build(arch.at("input_shape").get<Shape>());
    assign_weights(file, model);
    return 0;
  });
}

}  // namespace nn::io
