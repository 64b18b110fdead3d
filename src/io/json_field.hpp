#pragma once
// Checked reads of a JSON document that came from outside (a model file's header, a request):
// every value is read through its path ("model.layers[2].config.units"), with its type and range
// checked before it becomes a C++ value, and every error names that path.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/config.hpp"
#include "nn/shape.hpp"

namespace nn::detail {

class JsonField {
 public:
  using json = nlohmann::json;
  JsonField(const json& value, std::string path) : v_(&value), path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  const json& raw() const { return *v_; }
  bool is_null() const { return v_->is_null(); }
  bool has(const std::string& key) const { return v_->is_object() && v_->contains(key); }

  // A member (object) or element (array); a missing one is an error naming it.
  JsonField operator[](const std::string& key) const;
  JsonField operator[](size_t index) const;
  size_t size() const;                    // elements of an array (an error for anything else)
  std::vector<std::string> keys() const;  // members of an object

  bool boolean() const;
  int64_t integer(int64_t lo, int64_t hi) const;
  double number(double lo, double hi) const;  // finite, in [lo, hi]
  std::string string(size_t max_length = 4096) const;
  // An array of integers in [lo, hi], at most max_size of them.
  std::vector<int64_t> integers(int64_t lo, int64_t hi, size_t max_size = 64) const;
  // A layer's or optimizer's config: an object of booleans, integers, finite numbers, strings
  // and arrays of integers.
  Config config() const;

  // Throws std::invalid_argument("field '<path>': <what>").
  [[noreturn]] void fail(const std::string& what) const;

 private:
  void expect(bool ok, const char* type) const;

  const json* v_;
  std::string path_;
};

}  // namespace nn::detail
