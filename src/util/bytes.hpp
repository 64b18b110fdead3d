#pragma once
// Little-endian codecs for nn's binary formats (model files, TensorBoard records), and the one
// way file errors are reported: std::runtime_error("<path>: <what>").
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "util/printable.hpp"

namespace nn::detail {

inline void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline uint64_t get_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// "<path>: <what>", what (which quotes the file's own text) cut to 1 KB and escaped
// (util/printable.hpp): nothing a file holds reaches a terminal, a log or a response raw.
// Reverses each of n elements of `size` bytes in place on a big-endian host (the formats are
// little-endian); nothing to do on a little-endian one. Its own inverse.
inline void to_little_endian(void* data, int64_t n, size_t size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  auto* p = static_cast<unsigned char*>(data);
  for (int64_t i = 0; i < n; ++i, p += size)
    for (size_t a = 0, b = size - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
#else
  (void)data, (void)n, (void)size;
#endif
}

[[noreturn]] inline void file_error(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + printable(what, 1024));
}

}  // namespace nn::detail
