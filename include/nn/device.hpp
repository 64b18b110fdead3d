#pragma once
// Device: where a tensor's memory lives. Kernels for a device come from its Backend
// (nn/backend/backend.hpp); which devices exist is the backend registry's to say (devices()).
//
//   nn::Device d = nn::parse_device("cuda:1");   // or Device::cpu(), Device::cuda(1)
//   model.to(d);
#include <string>

namespace nn {

// Test is the strict test device (Device::test()): the CPU's kernels on memory the host may
// not read, for the test suite to prove that code reaches device memory only through copies.
// It is not listed by devices() and not offered by the tools.
enum class DeviceType { CPU, CUDA, Test };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  static Device test() { return {DeviceType::Test, 0}; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  // Whether the host may read and write its memory directly (Tensor::data()).
  bool is_host() const { return type == DeviceType::CPU; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

std::string to_string(const Device& device);  // "cpu", "cuda:0", "test"

// "cpu", "cuda", "cuda:1", "test" -> the Device; anything else throws std::invalid_argument
// listing the accepted forms. Whether the device exists is checked when it is used
// (backend_for) or with device_available().
Device parse_device(const std::string& text);

}  // namespace nn
