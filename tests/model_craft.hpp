#pragma once
// Taking a model file apart and putting it back together with a valid checksum, so a test can
// hand the loader a file that passes the CRC but lies in its header (as an attacker's would).
#include <cstdint>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/io/crc32c.hpp"

namespace nn::test {

struct ModelParts {
  nlohmann::json header;
  std::string data;  // the tensor bytes between the header and the checksum
};

inline uint64_t read_le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = v << 8 | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}

inline void append_le(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline ModelParts split_model(const std::string& file) {
  const auto header_size = static_cast<size_t>(read_le(file, 12, 8));
  ModelParts p;
  p.header = nlohmann::json::parse(file.substr(20, header_size));
  p.data = file.substr(20 + header_size, file.size() - 4 - 20 - header_size);
  return p;
}

// The header text as given (any bytes), the data, a correct CRC.
inline std::string assemble_model(const std::string& header_text, const std::string& data,
                                  uint32_t version = 1) {
  std::string out("\x89NNMODEL", 8);
  append_le(out, version, 4);
  append_le(out, header_text.size(), 8);
  out += header_text;
  out += data;
  append_le(out, nn::io::crc32c(out.data(), out.size()), 4);
  return out;
}

inline std::string assemble_model(const ModelParts& p) { return assemble_model(p.header.dump(), p.data); }

}  // namespace nn::test
