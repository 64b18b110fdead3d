// libFuzzer target: the IDX reader (raw and gzip), on any bytes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string_view>

#include "nn/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nn::data::IdxOptions options;
  options.max_elements = int64_t{1} << 24;  // keep single inputs within the fuzzer's memory limit
  try {
    nn::data::parse_idx(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.idx", options);
  } catch (const std::exception&) {
  }
  return 0;
}
