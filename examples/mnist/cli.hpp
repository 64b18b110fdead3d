#pragma once
// Command-line plumbing shared by the mnist subcommands, on CLI11: strict validators for numbers
// (the whole value must parse; 64-bit, range-checked, never truncated), and the exit-code rule:
// 0 success (and --help), 2 a usage error (with a hint), 1 a failure of the work itself.
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace mnist {

// A decimal integer in [lo, hi]; rewritten to canonical form so CLI11 converts exactly that.
CLI::Validator integer_in(int64_t lo, int64_t hi);
CLI::Validator unsigned_integer();  // any uint64
// A finite number in (lo, hi] (lo_open) or [lo, hi].
CLI::Validator number_in(double lo, double hi, bool lo_open = false);

// --threads N: the CPU threads nn uses (default: the CPUs this process may use).
void add_threads_option(CLI::App* cmd, int64_t& threads);

// How a GPU computes (nn/cuda.hpp): --tf32 on|off (TF32 tensor cores for float32 convolutions and
// matrix products; default PyTorch's: on for convolutions, off for matrix products) and
// --cudnn-benchmark (time cuDNN's algorithms once per layer and batch size). No effect on the CPU.
struct GpuOptions {
  std::string tf32;  // "", "on" or "off"
  bool cudnn_benchmark = false;
};
void add_gpu_options(CLI::App* cmd, GpuOptions& gpu);
void apply_gpu_options(const GpuOptions& gpu);

// --device D: where the model runs; one of nn::devices() ("cpu", "cuda:0", ...), default cpu.
// Anything else is a usage error listing the devices there are.
void add_device_option(CLI::App* cmd, std::string& device);

// Raised by subcommands for an invalid combination of options (exit status 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace mnist
