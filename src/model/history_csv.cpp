#include "nn/model/history_csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "util/printable.hpp"

namespace nn {
namespace {

constexpr std::uintmax_t kMaxBytes = std::uintmax_t{64} << 20;

std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (;;) {
    const size_t end = line.find(separator, start);
    fields.push_back(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

// A whole field as a double ("NA": NaN; "nan", "inf" and "-inf", as fmt writes them); false when
// it is not one.
bool parse_number(std::string_view field, double& value) {
  if (field == "NA") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, value);
  return ec == std::errc() && ptr == end && !field.empty();
}

}  // namespace

History read_history_csv(const std::string& path, char separator) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw std::runtime_error(path + ": cannot read the history: " + ec.message());
  if (size > kMaxBytes)
    throw std::runtime_error(fmt::format("{}: {} bytes: larger than a history file can be ({} MiB at most)", path, size,
                                         kMaxBytes >> 20));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error(path + ": cannot read the history");
  return parse_history_csv(text.str(), path, separator);
}

History parse_history_csv(std::string_view text, const std::string& path, char separator) {
  size_t pos = 0;
  // The next line without its end (LF or CRLF); false at the end of the text.
  const auto next_line = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    const size_t end = std::min(text.find('\n', pos), text.size());
    line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  };
  std::string_view line;
  if (!next_line(line)) throw std::runtime_error(path + ": empty: no header line (epoch,<logs>...)");
  const std::vector<std::string_view> header = split(line, separator);
  if (header.front() != "epoch")
    throw std::runtime_error(path + ": line 1: the first field is '" + detail::printable(std::string(header.front()), 64) +
                             "', expected 'epoch' (a CSVLogger history)");
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (size_t i = 1; i < header.size(); ++i) {
    std::string key(header[i]);
    if (key.empty() || !seen.insert(key).second)
      throw std::runtime_error(fmt::format("{}: line 1, column {}: {} log name '{}'", path, i + 1,
                                           key.empty() ? "an empty" : "a repeated", detail::printable(key, 64)));
    keys.push_back(std::move(key));
  }
  History h;
  for (const auto& k : keys) h.history[k];  // every column, even with no rows
  for (int64_t number = 2; next_line(line); ++number) {
    if (line.empty()) continue;
    const std::vector<std::string_view> fields = split(line, separator);
    if (fields.size() != header.size())
      throw std::runtime_error(fmt::format("{}: line {}: {} fields, the header has {}", path, number, fields.size(),
                                           header.size()));
    for (size_t i = 0; i < fields.size(); ++i) {
      double value = 0;
      if (!parse_number(fields[i], value) || (i == 0 && !(value >= 0 && value <= 1e9 && value == std::floor(value))))
        throw std::runtime_error(fmt::format("{}: line {}, column {} ({}): '{}' is not {}", path, number, i + 1,
                                             detail::printable(std::string(header[i]), 64),
                                             detail::printable(std::string(fields[i]), 64),
                                             i == 0 ? "an epoch number" : "a number"));
      if (i == 0)
        h.epochs.push_back(static_cast<int>(value));
      else
        h.history[keys[i - 1]].push_back(value);
    }
  }
  return h;
}

}  // namespace nn
