#include "cli.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <nn/backend/backend.hpp>
#include <nn/cuda.hpp>

namespace mnist {

CLI::Validator integer_in(int64_t lo, int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        const char* begin = s.c_str();
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(begin, &end, 10);
        if (s.empty() || *end != '\0' || end == begin) return fmt::format("'{}' is not an integer", s);
        if (errno == ERANGE || v < lo || v > hi) return fmt::format("{} is out of range [{}, {}]", s, lo, hi);
        s = std::to_string(v);
        return {};
      },
      fmt::format("INT in [{} - {}]", lo, hi));
}

CLI::Validator unsigned_integer() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const char* begin = s.c_str();
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(begin, &end, 10);
        if (s.empty() || s[0] == '-' || *end != '\0' || end == begin)
          return fmt::format("'{}' is not a non-negative integer", s);
        if (errno == ERANGE) return fmt::format("{} is larger than 2^64 - 1", s);
        s = std::to_string(v);
        return {};
      },
      "UINT64");
}

CLI::Validator number_in(double lo, double hi, bool lo_open) {
  return CLI::Validator(
      [lo, hi, lo_open](std::string& s) -> std::string {
        const char* begin = s.c_str();
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(begin, &end);
        if (s.empty() || *end != '\0' || end == begin || !std::isfinite(v))
          return fmt::format("'{}' is not a number", s);
        if ((lo_open ? v <= lo : v < lo) || v > hi)
          return fmt::format("{} is out of range {}{}, {}]", s, lo_open ? "(" : "[", lo, hi);
        return {};
      },
      fmt::format("NUMBER in {}{} - {}]", lo_open ? "(" : "[", lo, hi));
}

void add_device_option(CLI::App* cmd, std::string& device) {
  std::string there;
  for (const nn::Device& d : nn::devices()) there += (there.empty() ? "" : ", ") + nn::to_string(d);
  cmd->add_option("--device", device, "Where the model runs: " + there)
      ->check(CLI::Validator(
          [there](std::string& s) -> std::string {
            try {
              const nn::Device d = nn::parse_device(s);
              for (const nn::Device& known : nn::devices())
                if (known == d) return {};
            } catch (const std::invalid_argument&) {
            }
            return fmt::format("no device '{}' here; the devices are: {}", s, there);
          },
          "DEVICE"))
      ->capture_default_str();
}

void add_gpu_options(CLI::App* cmd, GpuOptions& gpu) {
  cmd->add_option("--tf32", gpu.tf32,
                  "on|off: TF32 tensor cores on a GPU for float32 convolutions and matrix products (default: "
                  "PyTorch's, on for convolutions and off for matrix products)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_flag("--cudnn-benchmark", gpu.cudnn_benchmark,
                "On a GPU, time cuDNN's convolution algorithms once per layer and batch size and keep the "
                "fastest (default: cuDNN's heuristics)");
}

void apply_gpu_options(const GpuOptions& gpu) {
  if (!gpu.tf32.empty()) {
    nn::cuda::set_allow_tf32_convolutions(gpu.tf32 == "on");
    nn::cuda::set_allow_tf32_matmul(gpu.tf32 == "on");
  }
  nn::cuda::set_cudnn_benchmark(gpu.cudnn_benchmark);
}

void add_threads_option(CLI::App* cmd, int64_t& threads) {
  cmd->add_option("--threads", threads, "CPU threads (default: the CPUs this process may use)")
      ->check(integer_in(1, nn::kMaxThreads));
}

}  // namespace mnist
