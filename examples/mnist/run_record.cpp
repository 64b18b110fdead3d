#include "run_record.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <nn/io/atomic_file.hpp>

namespace mnist {

using nlohmann::json;

void write_run_record(const std::string& path, const RunRecord& r) {
  const json j = {{"model", r.model},
                  {"options", r.options},
                  {"seconds", r.seconds},
                  {"images", r.images},
                  {"epoch_seconds", r.epoch_seconds},
                  {"images_per_epoch", r.images_per_epoch}};
  nn::io::write_file_atomically(path, j.dump(2) + "\n");
}

RunRecord read_run_record(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw std::runtime_error(path + ": " + ec.message());
  if (size > (1u << 20)) throw std::runtime_error(path + ": " + std::to_string(size) + " bytes: not a run record (1 MiB at most)");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error(path + ": cannot read it");
  const json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object()) throw std::runtime_error(path + ": not a JSON object (a run record written by mnist train)");
  const auto field = [&](const char* name, auto check) -> const json& {
    const auto it = j.find(name);
    if (it == j.end() || !check(*it)) throw std::runtime_error(path + ": field '" + name + "' is missing or of the wrong type");
    return *it;
  };
  const auto nonnegative = [](const json& v) { return v.is_number() && v.template get<double>() >= 0; };
  RunRecord r;
  r.model = field("model", [](const json& v) { return v.is_string(); }).get<std::string>();
  for (const json& kv : field("options", [](const json& v) { return v.is_array(); })) {
    if (!kv.is_array() || kv.size() != 2 || !kv[0].is_string() || !kv[1].is_string())
      throw std::runtime_error(path + ": field 'options' must hold [name, value] pairs of strings");
    r.options.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
  }
  r.seconds = field("seconds", nonnegative).get<double>();
  r.images = field("images", [](const json& v) { return v.is_number_integer() && v.get<int64_t>() >= 0; }).get<int64_t>();
  for (const json& s : field("epoch_seconds", [](const json& v) { return v.is_array(); })) {
    if (!s.is_number() || !(s.get<double>() > 0))
      throw std::runtime_error(path + ": field 'epoch_seconds' must hold positive numbers");
    r.epoch_seconds.push_back(s.get<double>());
  }
  r.images_per_epoch =
      field("images_per_epoch", [](const json& v) { return v.is_number_integer() && v.get<int64_t>() >= 0; })
          .get<int64_t>();
  return r;
}

}  // namespace mnist
