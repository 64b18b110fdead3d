#include "nn/device.hpp"

#include <cctype>
#include <stdexcept>

#include <fmt/format.h>

namespace nn {

std::string to_string(const Device& device) {
  switch (device.type) {
    case DeviceType::CPU: return device.index == 0 ? "cpu" : fmt::format("cpu:{}", device.index);
    case DeviceType::CUDA: return fmt::format("cuda:{}", device.index);
    case DeviceType::Test: return device.index == 0 ? "test" : fmt::format("test:{}", device.index);
  }
  return "unknown";
}

Device parse_device(const std::string& text) {
  const auto colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  int index = 0;
  if (colon != std::string::npos) {
    const std::string digits = text.substr(colon + 1);
    bool ok = !digits.empty() && digits.size() <= 4;
    for (char c : digits) ok = ok && std::isdigit(static_cast<unsigned char>(c));
    if (!ok) throw std::invalid_argument(fmt::format("device \"{}\": the index after ':' must be a number", text));
    index = std::stoi(digits);
  }
  if (kind == "cpu") return {DeviceType::CPU, index};
  if (kind == "cuda") return {DeviceType::CUDA, index};
  if (kind == "test") return {DeviceType::Test, index};
  throw std::invalid_argument(fmt::format("device \"{}\": expected cpu, cuda or cuda:N", text));
}

}  // namespace nn
