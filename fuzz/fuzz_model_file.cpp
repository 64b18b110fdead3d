// libFuzzer target: the model-file loader. A file that loads is then run once on a zero input,
// so crafted architectures reach the kernels (where the im2col overflow was).
//
// Two input forms, so that mutations get past the checksum to the header's fields:
// - a whole file (it starts with the magic): its CRC is recomputed, everything else is as given;
// - "<header JSON>\0<tensor data>": wrapped into a file with a correct prefix and CRC.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "io/model_format.hpp"
#include "nn/io/crc32c.hpp"
#include "util/bytes.hpp"

#include "io/model_reader.hpp"
#include "nn/nn.hpp"
#include "util/input_file.hpp"

namespace {

// Whether a forward pass stays small: no layer's output over a million elements.
bool small_enough(const nn::Sequential& m) {
  if (nn::numel(m.input_shape()) > 100000) return false;
  nn::Shape s = m.input_shape();
  for (const auto& l : m.layers()) {
    s = l->compute_output_shape(s);
    if (nn::numel(s) > 1000000) return false;
  }
  return true;
}

std::string as_file(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = as_file(data, size);
  const nn::detail::MemorySource source(file, "fuzz.nn");
  try {
    nn::Sequential m = nn::io::detail::read_model(source);
    if (m.built() && small_enough(m)) {
      nn::Shape batch{1};
      batch.insert(batch.end(), m.input_shape().begin(), m.input_shape().end());
      m.predict(nn::Tensor::zeros(batch));
    }
  } catch (const std::exception&) {
    // a refused file is the expected outcome for almost every input
  }
  return 0;
}
