// libFuzzer target: training histories (nn::parse_history_csv, what `mnist report` reads from
// history.csv), on any bytes: an error, or a history whose every column has a value per epoch.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "nn/model/history_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const nn::History h = nn::parse_history_csv(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.csv");
    for (const auto& [key, values] : h.history)
      if (key.empty() || values.size() != h.epochs.size()) std::abort();
    for (int epoch : h.epochs)
      if (epoch < 0) std::abort();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
