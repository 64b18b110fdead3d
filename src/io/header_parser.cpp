#include "io/header_parser.hpp"

#include <cstdint>
#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "io/model_format.hpp"
#include "util/printable.hpp"

namespace nn::io::detail {
namespace {

using json = nlohmann::json;

class HeaderParser : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit HeaderParser(json& root) : root_(root) {}

  bool null() override { return add(json()); }
  bool boolean(bool v) override { return add(json(v)); }
  bool number_integer(number_integer_t v) override { return add(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return add(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return add(json(v)); }
  bool string(string_t& v) override { return add(json(std::move(v))); }
  bool binary(binary_t&) override { refuse("binary values are not JSON"); }
  bool start_object(std::size_t) override { return open(false); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) refuse(fmt::format("duplicate key '{}' in {}", nn::detail::printable(k, 64), where()));
    f.key = k;
    // A top-level key this reader does not know: its value is read past, not kept.
    if (frames_.size() == 1 && kKnown.count(k) == 0) skip_next_ = true;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override { throw e; }

 private:
  struct Frame {
    bool array;
    size_t index = 0;  // elements so far (arrays)
    std::string key;   // the current key (objects)
    std::unordered_set<std::string> keys;
    json* node = nullptr;  // where its elements go; null while skipping
  };
  static inline const std::unordered_set<std::string> kKnown = {"format", "kind", "model", "weights", "compile", "tensors"};

  // Where a new value goes: the root, the open array's end, or the open object's current key.
  json* place(json&& v) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = frames_.back();
    if (f.array) ++f.index;
    if (!f.node || skip_next_) {  // inside a skipped value, or the skipped value itself
      skip_next_ = false;
      return nullptr;
    }
    if (f.array) {
      f.node->push_back(std::move(v));
      return &f.node->back();
    }
    json& slot = (*f.node)[f.key];
    slot = std::move(v);
    return &slot;
  }
  bool add(json&& v) {
    place(std::move(v));
    return true;
  }
  bool open(bool array) {
    if (frames_.size() >= static_cast<size_t>(kMaxHeaderDepth))
      refuse(fmt::format("nests deeper than {} levels", kMaxHeaderDepth));
    if (!array && frames_.size() == 3 && frames_[0].key == "model" && frames_[1].key == "layers" && frames_[2].array &&
        ++layers_ > kMaxLayers)
      refuse(fmt::format("more than {} layers in model.layers", kMaxLayers));
    json* node = place(array ? json::array() : json::object());
    frames_.push_back(Frame{array, 0, {}, {}, node});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return true;
  }
  std::string where() const {
    std::string path;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.array) path += fmt::format("[{}]", f.index - 1);
      else path += (path.empty() ? "" : ".") + nn::detail::printable(f.key, 64);
    }
    return path.empty() ? "the header" : path;
  }
  [[noreturn]] void refuse(const std::string& what) const { throw std::invalid_argument(what); }

  json& root_;
  std::vector<Frame> frames_;
  bool skip_next_ = false;
  int64_t layers_ = 0;
};

}  // namespace

json parse_header(const std::string& text) {
  json root;
  HeaderParser parser(root);
  json::sax_parse(text, &parser);
  return root;
}

}  // namespace nn::io::detail
