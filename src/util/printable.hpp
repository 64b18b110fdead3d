#pragma once
// Text from outside (a model file, a request) made safe to show in a message, a log line or a
// response: at most max_bytes of it (cut at a character boundary, with the full length said),
// every byte that is not part of valid UTF-8 or is a control character (an escape sequence, a
// NUL, a newline) written \xHH, so that nothing from a file can move a terminal's cursor, forge
// a log line or cut a message short.
#include <cstdint>
#include <string>
#include <string_view>

namespace nn::detail {

// The length of the valid UTF-8 sequence at s[i], or 0 when there is none.
inline size_t utf8_sequence(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t code = c & (n == 1 ? 0x7Fu : 0x7Fu >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto t = static_cast<unsigned char>(s[i + k]);
    if ((t & 0xC0) != 0x80) return 0;
    code = code << 6 | (t & 0x3Fu);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
  if (n > 1 && (code < (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)))
    return 0;
  if (code < 0x20 || (code >= 0x7F && code < 0xA0)) return 0;  // C0 and C1 controls, DEL
  return n;
}

inline std::string printable(std::string_view s, size_t max_bytes = 200) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  size_t i = 0;
  while (i < s.size() && out.size() < max_bytes) {
    const size_t n = utf8_sequence(s, i);
    if (n > 0) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      const auto c = static_cast<unsigned char>(s[i++]);
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (i < s.size()) out += "... (" + std::to_string(s.size()) + " bytes in all)";
  return out;
}

}  // namespace nn::detail
