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

}  // namespace nn
