#include "nn/config.hpp"

#include <algorithm>
#include <stdexcept>

namespace nn {
namespace {
template <class T>
const T& get(const Config& c, const std::string& key, const char* type) {
  auto it = c.find(key);
  if (it == c.end()) throw std::invalid_argument("config: missing key '" + key + "'");
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  throw std::invalid_argument("config: key '" + key + "' is not " + type);
}
}  // namespace

bool config_bool(const Config& c, const std::string& key) { return get<bool>(c, key, "a boolean"); }
int64_t config_int(const Config& c, const std::string& key) { return get<int64_t>(c, key, "an integer"); }
std::string config_string(const Config& c, const std::string& key) {
  return get<std::string>(c, key, "a string");
}
std::vector<int64_t> config_ints(const Config& c, const std::string& key) {
  return get<std::vector<int64_t>>(c, key, "a list of integers");
}
double config_double(const Config& c, const std::string& key) {
  auto it = c.find(key);
  if (it != c.end())
    if (const int64_t* i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
  return get<double>(c, key, "a number");
}

bool ConfigReader::boolean(const std::string& key) {
  read_.push_back(key);
  return config_bool(config_, key);
}
bool ConfigReader::boolean(const std::string& key, bool fallback) {
  return has(key) ? boolean(key) : (read_.push_back(key), fallback);
}
int64_t ConfigReader::integer(const std::string& key) {
  read_.push_back(key);
  return config_int(config_, key);
}
int64_t ConfigReader::integer(const std::string& key, int64_t fallback) {
  return has(key) ? integer(key) : (read_.push_back(key), fallback);
}
double ConfigReader::number(const std::string& key) {
  read_.push_back(key);
  return config_double(config_, key);
}
double ConfigReader::number(const std::string& key, double fallback) {
  return has(key) ? number(key) : (read_.push_back(key), fallback);
}
std::string ConfigReader::string(const std::string& key) {
  read_.push_back(key);
  return config_string(config_, key);
}
std::string ConfigReader::string(const std::string& key, const std::string& fallback) {
  return has(key) ? string(key) : (read_.push_back(key), fallback);
}
std::vector<int64_t> ConfigReader::integers(const std::string& key) {
  read_.push_back(key);
  return config_ints(config_, key);
}
std::vector<int64_t> ConfigReader::integers(const std::string& key, const std::vector<int64_t>& fallback) {
  return has(key) ? integers(key) : (read_.push_back(key), fallback);
}

void ConfigReader::done() const {
  for (const auto& [key, value] : config_) {
    if (std::find(read_.begin(), read_.end(), key) != read_.end()) continue;
    std::vector<std::string> keys;  // in the order they were read, each once
    for (const auto& k : read_)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    std::string known;
    for (const auto& k : keys) known += (known.empty() ? "" : ", ") + k;
    throw std::invalid_argument("config: unknown key '" + key + "' for " + what_ + " (known: " + known + ")");
  }
}

}  // namespace nn
