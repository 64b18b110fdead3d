#pragma once
// Config: a layer's or optimizer's hyper-parameters as named values, the architecture part of a
// saved model (nn/io) and what a registry needs to rebuild the object without its C++ type.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace nn {

using ConfigValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>>;
using Config = std::map<std::string, ConfigValue>;

// Typed reads that name the key and the expected type when the value is missing or wrong.
bool config_bool(const Config& c, const std::string& key);
int64_t config_int(const Config& c, const std::string& key);
double config_double(const Config& c, const std::string& key);  // accepts an integer too
std::string config_string(const Config& c, const std::string& key);
std::vector<int64_t> config_ints(const Config& c, const std::string& key);

// Reads a config key by key, remembering which keys were read, so that done() can refuse the
// ones nobody knows (a misspelt option must not be ignored silently).
class ConfigReader {
 public:
  ConfigReader(const Config& config, std::string what) : config_(config), what_(std::move(what)) {}
  // Whether the config holds `key` (a known key either way: done() lists it).
  bool has(const std::string& key) {
    read_.push_back(key);
    return config_.count(key) > 0;
  }
  bool boolean(const std::string& key);
  bool boolean(const std::string& key, bool fallback);
  int64_t integer(const std::string& key);
  int64_t integer(const std::string& key, int64_t fallback);
  double number(const std::string& key);
  double number(const std::string& key, double fallback);
  std::string string(const std::string& key);
  std::string string(const std::string& key, const std::string& fallback);
  std::vector<int64_t> integers(const std::string& key);
  std::vector<int64_t> integers(const std::string& key, const std::vector<int64_t>& fallback);
  // Throws std::invalid_argument for a key nobody read, listing the keys that were.
  void done() const;

 private:
  const Config& config_;
  std::string what_;
  std::vector<std::string> read_;
};

}  // namespace nn
