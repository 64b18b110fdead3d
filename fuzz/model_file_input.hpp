#pragma once
// How the model-file fuzz target (fuzz_model_file.cpp) reads an input as a model file, shared with
// the unit test that replays the committed regressions and checks each one's error
// (tests/test_model_file_hostile.cpp). Two input forms, so that mutations get past the checksum
// to the header's fields:
// - a whole file (it starts with the magic): its CRC is recomputed, everything else is as given;
// - "<header JSON>\0<tensor data>": wrapped into a file with a correct prefix and CRC.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/model_format.hpp"
#include "nn/io/crc32c.hpp"
#include "util/bytes.hpp"

namespace nn::fuzz {

inline std::string model_file_from_input(const std::string& in) {
  std::string file;
  if (in.compare(0, sizeof(nn::io::detail::kMagic), nn::io::detail::kMagic, sizeof(nn::io::detail::kMagic)) ==
      0) {
    if (in.size() < nn::io::detail::kPrefix + 4) return in;
    file = in.substr(0, in.size() - 4);
  } else {
    const size_t split = std::min(in.find('\0'), in.size());
    file.assign(nn::io::detail::kMagic, sizeof(nn::io::detail::kMagic));
    nn::detail::put_le(file, nn::io::kModelFormatVersion, 4);
    nn::detail::put_le(file, split, 8);
    file += in.substr(0, split);
    if (split < in.size()) file += in.substr(split + 1);
  }
  nn::detail::put_le(file, nn::io::crc32c(file.data(), file.size()), 4);
  return file;
}

}  // namespace nn::fuzz
