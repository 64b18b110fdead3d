#include "nn/config.hpp"

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

}  // namespace nn
