#include "io/json_field.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "util/printable.hpp"

namespace nn::detail {
namespace {

// A JSON integer as int64, whether stored signed or unsigned; false when it does not fit.
bool as_int64(const nlohmann::json& v, int64_t& out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return true;
  }
  return false;
}

}  // namespace

void JsonField::fail(const std::string& what) const {
  // The path holds the file's keys: cut and escaped, so that the reason survives a long one.
  throw std::invalid_argument(fmt::format("field '{}': {}", printable(path_, 200), what));
}

void JsonField::expect(bool ok, const char* type) const {
  if (!ok) fail(fmt::format("expected {}, found {}", type, v_->type_name()));
}

JsonField JsonField::operator[](const std::string& key) const {
  expect(v_->is_object(), "an object");
  auto it = v_->find(key);
  const std::string child = path_.empty() ? key : path_ + "." + key;
  if (it == v_->end()) throw std::invalid_argument(fmt::format("field '{}' is missing", printable(child, 200)));
  return JsonField(*it, child);
}

JsonField JsonField::operator[](size_t index) const {
  expect(v_->is_array(), "an array");
  if (index >= v_->size()) fail(fmt::format("has no element {}", index));
  return JsonField((*v_)[index], fmt::format("{}[{}]", path_, index));
}

size_t JsonField::size() const {
  expect(v_->is_array(), "an array");
  return v_->size();
}

std::vector<std::string> JsonField::keys() const {
  expect(v_->is_object(), "an object");
  std::vector<std::string> out;
  for (const auto& item : v_->items()) out.push_back(item.key());
  return out;
}

bool JsonField::boolean() const {
  expect(v_->is_boolean(), "true or false");
  return v_->get<bool>();
}

int64_t JsonField::integer(int64_t lo, int64_t hi) const {
  expect(v_->is_number_integer(), "an integer");
  int64_t v = 0;
  if (!as_int64(*v_, v) || v < lo || v > hi)
    fail(fmt::format("must be an integer in [{}, {}], got {}", lo, hi, v_->dump()));
  return v;
}

double JsonField::number(double lo, double hi) const {
  expect(v_->is_number(), "a number");
  const double v = v_->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi)
    fail(fmt::format("must be a number in [{}, {}], got {}", lo, hi, v_->dump()));
  return v;
}

std::string JsonField::string(size_t max_length) const {
  expect(v_->is_string(), "a string");
  const auto& s = v_->get_ref<const std::string&>();
  if (s.size() > max_length) fail(fmt::format("is longer than {} characters", max_length));
  // Names, types and options: no control characters (a NUL would cut a message short, an escape
  // sequence would reach the terminal that prints one).
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) fail(fmt::format("holds control characters: '{}'", printable(s, 64)));
  return s;
}

std::vector<int64_t> JsonField::integers(int64_t lo, int64_t hi, size_t max_size) const {
  const size_t n = size();
  if (n > max_size) fail(fmt::format("has {} elements, at most {} are allowed", n, max_size));
  std::vector<int64_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back((*this)[i].integer(lo, hi));
  return out;
}

Config JsonField::config() const {
  expect(v_->is_object(), "an object");
  Config c;
  for (const auto& item : v_->items()) {
    const JsonField f(item.value(), path_ + "." + item.key());
    const auto& v = item.value();
    int64_t i = 0;
    if (v.is_boolean())
      c[item.key()] = v.get<bool>();
    else if (v.is_number_integer() && as_int64(v, i))
      c[item.key()] = i;
    else if (v.is_number_integer())
      f.fail("integer out of the 64-bit range");
    else if (v.is_number_float())
      c[item.key()] = f.number(-std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
    else if (v.is_string())
      c[item.key()] = f.string();
    else if (v.is_array()) {
      c[item.key()] = f.integers(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    } else {
      f.fail(fmt::format("unsupported value of type {}", v.type_name()));
    }
  }
  return c;
}

}  // namespace nn::detail
