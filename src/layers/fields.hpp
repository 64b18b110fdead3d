#pragma once
// A layer's serialized options, listed once. Each options class names its options in one place,
//   template <class F> void fields(F&& f) { f("units", units_); f("activation", activation_); ... }
// with their defaults where the class declares them (NN_ARG). write_fields gives the Config that
// Layer::config() records; read_fields sets each listed option that a config holds, through the
// registry's ConfigReader (so a key no option lists is still an error naming the known ones), and
// leaves the others at their defaults.
#include <climits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/config.hpp"
#include "nn/layers/initializers.hpp"
#include "nn/ops/conv2d.hpp"

namespace nn::detail {

class FieldWriter {
 public:
  Config config;
  void operator()(const char* key, bool v) { config[key] = v; }
  void operator()(const char* key, int v) { config[key] = static_cast<int64_t>(v); }
  void operator()(const char* key, int64_t v) { config[key] = v; }
  void operator()(const char* key, uint64_t v) { config[key] = static_cast<int64_t>(v); }
  void operator()(const char* key, float v) { config[key] = static_cast<double>(v); }
  void operator()(const char* key, double v) { config[key] = v; }
  void operator()(const char* key, const std::string& v) { config[key] = v; }
  void operator()(const char* key, const std::vector<int64_t>& v) { config[key] = v; }
  void operator()(const char* key, const AnyInitializer& v) { config[key] = v.spec(); }
  void operator()(const char* key, const Size2& v) { config[key] = std::vector<int64_t>{v.h, v.w}; }
  void operator()(const char* key, const Padding& v) { config[key] = v.str(); }
  template <class T>
  void operator()(const char* key, const std::optional<T>& v) {  // absent when unset
    if (v) (*this)(key, *v);
  }
};

class FieldReader {
 public:
  explicit FieldReader(ConfigReader& c) : c_(c) {}
  void operator()(const char* key, bool& v) { v = c_.boolean(key, v); }
  void operator()(const char* key, int& v) {
    const int64_t x = c_.integer(key, v);
    if (x < INT_MIN || x > INT_MAX) throw std::invalid_argument(std::string("config: ") + key + " " + std::to_string(x) + " is out of range");
    v = static_cast<int>(x);
  }
  void operator()(const char* key, int64_t& v) { v = c_.integer(key, v); }
  void operator()(const char* key, uint64_t& v) { v = static_cast<uint64_t>(c_.integer(key, static_cast<int64_t>(v))); }
  void operator()(const char* key, float& v) { v = static_cast<float>(c_.number(key, v)); }
  void operator()(const char* key, double& v) { v = c_.number(key, v); }
  void operator()(const char* key, std::string& v) { v = c_.string(key, v); }
  void operator()(const char* key, std::vector<int64_t>& v) { v = c_.integers(key, v); }
  void operator()(const char* key, AnyInitializer& v) {
    if (!c_.has(key)) return;
    try {
      v = AnyInitializer(c_.string(key));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(key) + ": " + e.what());
    }
  }
  void operator()(const char* key, Size2& v) {
    if (!c_.has(key)) return;
    const auto x = c_.integers(key);
    if (x.size() != 2)
      throw std::invalid_argument(std::string("config: ") + key + " needs 2 values, got " + std::to_string(x.size()));
    v = Size2(x[0], x[1]);
  }
  void operator()(const char* key, Padding& v) {
    if (c_.has(key)) v = Padding(c_.string(key));
  }
  template <class T>
  void operator()(const char* key, std::optional<T>& v) {
    if (!c_.has(key)) return;
    T value = v ? *v : T(0);
    (*this)(key, value);
    v = value;
  }

 private:
  ConfigReader& c_;
};

template <class Options>
Config write_fields(Options options) {  // a copy: fields() hands out references
  FieldWriter w;
  options.fields(w);
  return w.config;
}

template <class Options>
Options& read_fields(Options& options, ConfigReader& c) {
  FieldReader r(c);
  options.fields(r);
  return options;
}

}  // namespace nn::detail
