#pragma once
// Little-endian codecs for nn's binary formats (model files, TensorBoard records), and the one
// way file errors are reported: std::runtime_error("<path>: <what>").
#include <cstdint>
#include <stdexcept>
#include <string>

namespace nn::detail {

inline void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline uint64_t get_le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

[[noreturn]] inline void file_error(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

}  // namespace nn::detail
