// libFuzzer target: the ONNX importer (nn::load_onnx). The input is the file's bytes; a model that
// loads is then run once on a zero input of a small batch, so crafted graphs reach the layers.
// A refused file is the expected outcome; which error the committed regressions get is checked by
// the unit tests (tests/test_onnx.cpp).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "nn/io/onnx.hpp"
#include "nn/nn.hpp"

namespace {

// Whether a forward pass stays small: no value over a million elements per example.
bool small_enough(const nn::Model& m) {
  for (const auto& node : m.nodes())
    if (nn::numel(node.shape) > 1000000) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    nn::Model m = nn::io::load_onnx_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    if (small_enough(m)) {
      std::vector<nn::Tensor> xs;
      for (int i : m.input_nodes()) {
        nn::Shape s{2};
        const nn::Shape& own = m.nodes()[static_cast<size_t>(i)].shape;
        s.insert(s.end(), own.begin(), own.end());
        xs.push_back(nn::Tensor::zeros(s));
      }
      m.predict(xs);
    }
  } catch (const std::exception&) {
    // a refused file is the expected outcome for almost every input
  }
  return 0;
}
