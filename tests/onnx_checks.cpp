// The ONNX checks that involve other programs or ONNX's own test data (tests/CMakeLists.txt runs
// each as a ctest test):
//
//   onnx_checks fixtures DIR           writes the models the export tests check (checker, ONNX
//                                      Runtime): DIR/NAME.onnx, their inputs and nn's outputs as
//                                      raw float32 files, and DIR/manifest.json listing them
//   onnx_checks torch DIR              reads what tests/onnx/torch_export.py wrote (PyTorch's ONNX
//                                      exports, their inputs and PyTorch's outputs): nn imports
//                                      each and must agree to 1e-5, and round-trip nn -> ONNX -> nn
//   onnx_checks conformance ROOT LIST  runs every case of ONNX's backend test data under ROOT
//                                      (data/node, pytorch-converted, pytorch-operator, simple)
//                                      whose operators nn imports; each must pass (ONNX's
//                                      tolerances) or be named in LIST with its reason, and no case
//                                      named in LIST may pass. --write-list writes LIST instead.
// Exit status 0 when every check passed; each failure is printed.
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "nn/io/onnx.hpp"
#include "nn/nn.hpp"
#include "onnx_models.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace nn;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot open");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_floats(const fs::path& p, const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
}

Tensor read_floats(const fs::path& p, const Shape& shape) {
  const std::string bytes = slurp(p);
  if (static_cast<int64_t>(bytes.size()) != numel(shape) * 4)
    throw std::runtime_error(fmt::format("{}: {} bytes for shape {}", p.string(), bytes.size(), to_string(shape)));
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(v.data()));
  return Tensor::from_vector(shape, v);
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return INFINITY;
  const auto x = a.to_vector(), y = b.to_vector();
  float m = 0.0f;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

// ---- fixtures for the checker and ONNX Runtime ----
int fixtures(const fs::path& dir) {
  fs::create_directories(dir);
  std::vector<std::pair<std::string, Model>> models{{"mlp", test::onnx_models::mlp()},
                                                     {"cnn", test::onnx_models::cnn()},
                                                     {"fast", test::onnx_models::fast()},
                                                     {"every_layer", test::onnx_models::every_layer()}};
  for (auto& m : test::onnx_models::activations()) models.push_back(std::move(m));
  json manifest = json::array();
  uint64_t seed = 1;
  for (auto& [name, model] : models) {
    save_onnx(model, (dir / (name + ".onnx")).string());
    const auto xs = test::onnx_models::inputs_for(model, 4, seed++);
    const auto ys = model.predict(xs);
    json entry{{"name", name}, {"model", name + ".onnx"}, {"inputs", json::array()}, {"outputs", json::array()}};
    for (size_t i = 0; i < xs.size(); ++i) {
      const std::string file = fmt::format("{}.input{}.bin", name, i);
      write_floats(dir / file, xs[i]);
      entry["inputs"].push_back({{"shape", xs[i].shape()}, {"file", file}});
    }
    for (size_t i = 0; i < ys.size(); ++i) {
      const std::string file = fmt::format("{}.output{}.bin", name, i);
      write_floats(dir / file, ys[i]);
      entry["outputs"].push_back({{"shape", ys[i].shape()}, {"file", file}});
    }
    manifest.push_back(entry);
  }
  std::ofstream(dir / "manifest.json") << manifest.dump(1) << "\n";
  fmt::print("wrote {} models to {}\n", models.size(), dir.string());
  return 0;
}

// ---- PyTorch's exports ----
int torch_check(const fs::path& dir) {
  const json manifest = json::parse(slurp(dir / "manifest.json"));
  int failures = 0;
  float largest = 0.0f;
  for (const auto& e : manifest) {
    const std::string name = e.at("name");
    try {
      Model m = load_onnx((dir / e.at("model").get<std::string>()).string());
      const Tensor x = read_floats(dir / e.at("input").at("file").get<std::string>(), e.at("input").at("shape").get<Shape>());
      const Tensor want = read_floats(dir / e.at("output").at("file").get<std::string>(), e.at("output").at("shape").get<Shape>());
      const Tensor got = m.predict(x, x.dim(0));
      const float diff = max_abs_diff(got, want);
      largest = std::max(largest, diff);
      // nn -> ONNX -> nn: the same predictions, exactly.
      Model back = io::load_onnx_bytes(io::onnx_bytes(m), name + " (re-exported)");
      const float round_trip = max_abs_diff(back.predict(x, x.dim(0)), got);
      const bool ok = diff <= 1e-5f && round_trip == 0.0f;
      fmt::print("{:<12} {:>3} layers  max |nn - PyTorch| = {:.3g}  round trip {:.3g}  {}\n", name, m.layers().size(),
                 diff, round_trip, ok ? "ok" : "FAILED");
      failures += ok ? 0 : 1;
    } catch (const std::exception& ex) {
      fmt::print("{:<12} FAILED: {}\n", name, ex.what());
      ++failures;
    }
  }
  fmt::print("{} PyTorch models, {} failed; largest difference {:.3g}\n", manifest.size(), failures, largest);
  return manifest.empty() || failures > 0 ? 1 : 0;
}

// ---- ONNX's backend test cases ----
struct Case {
  std::string name;  // "node/test_relu"
  fs::path dir;
};

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  const auto at = s.find(": node '");  // drop the file path before the node
  if (at != std::string::npos) s = s.substr(at + 2);
  else if (const auto colon = s.find(".onnx: "); colon != std::string::npos) s = s.substr(colon + 7);
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

// "" when the case passes, else why not.
std::string run_case(const Case& c) {
  const fs::path model_path = c.dir / "model.onnx";
  Model model = load_onnx(model_path.string());
  int sets = 0;
  for (int k = 0;; ++k) {
    const fs::path set = c.dir / fmt::format("test_data_set_{}", k);
    if (!fs::exists(set)) break;
    ++sets;
    std::vector<Tensor> xs, want;
    for (int i = 0; fs::exists(set / fmt::format("input_{}.pb", i)); ++i)
      xs.push_back(io::load_onnx_tensor((set / fmt::format("input_{}.pb", i)).string()));
    for (int i = 0; fs::exists(set / fmt::format("output_{}.pb", i)); ++i)
      want.push_back(io::load_onnx_tensor((set / fmt::format("output_{}.pb", i)).string()));
    if (xs.size() != model.input_nodes().size())
      return fmt::format("the model takes {} inputs (the others are constants nn needs), the case gives {}",
                         model.input_nodes().size(), xs.size());
    const auto got = model.predict(xs, std::max<int64_t>(1, xs[0].dim(0)));
    if (got.size() != want.size()) return fmt::format("{} outputs, {} expected", got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      if (got[i].shape() != want[i].shape())
        return fmt::format("output {} has shape {}, expected {}", i, to_string(got[i].shape()), to_string(want[i].shape()));
      const auto g = got[i].to_vector(), w = want[i].to_vector();
      for (size_t j = 0; j < g.size(); ++j)
        if (!(std::fabs(g[j] - w[j]) <= 1e-7 + 1e-3 * std::fabs(w[j])))  // ONNX's backend tolerances
          return fmt::format("output {} differs at {}: {} against {}", i, j, g[j], w[j]);
    }
  }
  return sets == 0 ? "no test data" : "";
}

int conformance(const fs::path& root, const fs::path& list, bool write_list) {
  const auto ops = io::onnx_import_operators();
  const std::set<std::string> supported(ops.begin(), ops.end());
  std::vector<Case> cases;
  for (const char* group : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    if (!fs::is_directory(root / group)) continue;
    for (const auto& e : fs::directory_iterator(root / group))
      if (fs::exists(e.path() / "model.onnx")) cases.push_back({std::string(group) + "/" + e.path().filename().string(), e.path()});
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  if (cases.empty()) {
    fmt::print("no ONNX test cases under {}\n", root.string());
    return 1;
  }
  std::map<std::string, std::string> listed;
  if (!write_list) {
    std::ifstream in(list);
    if (!in) throw std::runtime_error(list.string() + ": cannot open");
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      const auto colon = line.find(": ");
      listed[line.substr(0, colon)] = colon == std::string::npos ? "" : line.substr(colon + 2);
    }
  }
  int applicable = 0, passed = 0, left_out = 0, failures = 0;
  std::vector<std::pair<std::string, std::string>> reasons;
  std::vector<std::string> passing;
  for (const Case& c : cases) {
    onnx::ModelProto m;
    if (!m.ParseFromString(slurp(c.dir / "model.onnx"))) continue;
    bool all = m.graph().node_size() > 0;
    for (const auto& n : m.graph().node()) all = all && n.domain().empty() && supported.count(n.op_type());
    if (!all) continue;  // a case for an operator nn does not import
    ++applicable;
    std::string why;
    try {
      why = run_case(c);
    } catch (const std::exception& e) {
      why = one_line(e.what());
    }
    const bool is_listed = listed.count(c.name) > 0;
    if (why.empty()) {
      ++passed;
      passing.push_back(c.name);
      if (is_listed) {
        fmt::print("FAILED {}: passes, but {} leaves it out (remove it from the list)\n", c.name, list.string());
        ++failures;
      }
    } else {
      ++left_out;
      reasons.emplace_back(c.name, why);
      if (!write_list && !is_listed) {
        fmt::print("FAILED {}: {}\n", c.name, why);
        ++failures;
      }
    }
  }
  for (const auto& [name, why] : listed)
    if (std::none_of(cases.begin(), cases.end(), [&](const Case& c) { return c.name == name; }))
      fmt::print("note: {} lists {}, which is not among the cases here\n", list.string(), name);
  if (write_list) {
    std::ofstream out(list);
    out << "# ONNX backend test cases (libonnx-testdata, onnx 1.12) for operators that nn imports, which nn\n"
           "# leaves out, each with the reason (written by `onnx_checks conformance ROOT LIST --write-list`).\n"
           "# tests/CMakeLists.txt's onnx_conformance test fails when a case not listed here fails, or a\n"
           "# listed one passes.\n";
    for (const auto& [name, why] : reasons) out << name << ": " << why << "\n";
  }
  fmt::print("passed: {}\n", fmt::join(passing, ", "));
  fmt::print("ONNX conformance: {} cases use only operators nn imports; {} pass, {} are left out ({}), {} failures\n",
             applicable, passed, left_out, list.string(), failures);
  return failures > 0 || passed == 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "fixtures") return fixtures(args[1]);
    if (args.size() == 2 && args[0] == "torch") return torch_check(args[1]);
    if ((args.size() == 3 || args.size() == 4) && args[0] == "conformance")
      return conformance(args[1], args[2], args.size() == 4 && args[3] == "--write-list");
  } catch (const std::exception& e) {
    fmt::print(stderr, "onnx_checks: {}\n", e.what());
    return 1;
  }
  fmt::print(stderr, "usage: onnx_checks fixtures DIR | torch DIR | conformance ROOT LIST [--write-list]\n");
  return 2;
}
