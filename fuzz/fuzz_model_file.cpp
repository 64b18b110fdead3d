// libFuzzer target: the model-file loader. A file that loads is then run once on a zero input,
// so crafted architectures reach the kernels (where the im2col overflow was).
//
// The input is read as a model file as model_file_input.hpp says. A refused file is the expected
// outcome here; which error each committed regression gets is checked by the unit tests
// (test_model_file_hostile.cpp), since this target cannot tell one refusal from another.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "io/model_reader.hpp"
#include "model_file_input.hpp"
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file =
      nn::fuzz::model_file_from_input(std::string(reinterpret_cast<const char*>(data), size));
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
