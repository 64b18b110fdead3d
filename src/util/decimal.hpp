#pragma once
// A strict non-negative decimal, as URLs, headers and directory names spell numbers (a
// Content-Length, a model version): ASCII digits only (no sign, space or other character), at
// most 18 of them, so every accepted value fits int64. std::nullopt for anything else.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace nn::detail {

inline std::optional<int64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);  // cannot fail: at most 18 digits
  return v;
}

}  // namespace nn::detail
