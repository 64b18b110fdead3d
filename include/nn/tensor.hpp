#pragma once
// Tensor: a dense, contiguous, row-major float32 n-d array that knows its device.
//
// Tensors share storage on copy (like torch.Tensor); clone() makes a deep copy. Memory comes
// from the device's Backend, whose caching allocator makes a training step's buffers reuse the
// previous step's, so steady-state training allocates nothing from the system.
// Class labels are stored as float32 holding integer values (exact up to 2^24).
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "nn/device.hpp"
#include "nn/shape.hpp"

namespace nn {

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(Shape shape, Device device = Device::cpu());  // uninitialised contents

  static Tensor empty(Shape shape, Device device = Device::cpu());
  static Tensor zeros(Shape shape, Device device = Device::cpu());
  static Tensor ones(Shape shape, Device device = Device::cpu());
  static Tensor full(Shape shape, float value, Device device = Device::cpu());
  static Tensor scalar(float value, Device device = Device::cpu());
  // Copies `values` (numel(shape) of them, else std::invalid_argument) to a new tensor.
  static Tensor from_vector(Shape shape, const std::vector<float>& values,
                            Device device = Device::cpu());

  bool defined() const { return static_cast<bool>(storage_); }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int axis) const;  // negative counts from the end
  int64_t numel() const { return numel_; }
  Device device() const { return device_; }

  // Device pointer to the first element (host memory for the CPU).
  float* data() { return storage_.get() + offset_; }
  const float* data() const { return storage_.get() + offset_; }

  // Same storage, new shape (one extent may be -1); throws if the element count differs.
  Tensor reshape(Shape shape) const;
  // Rows [begin, end) of the outermost dimension, sharing storage.
  Tensor slice(int64_t begin, int64_t end) const;
  Tensor clone() const;
  Tensor to(Device device) const;
  // Copies the contents of `src` (same shape, any device) into this tensor.
  void copy_from(const Tensor& src);
  void fill(float value);

  std::vector<float> to_vector() const;  // host copy, row-major
  float item() const;                    // the single element of a one-element tensor
  float at(std::initializer_list<int64_t> index) const;  // host read of one element (slow)

  // True when no other Tensor shares this storage (used to accumulate gradients in place).
  bool unique() const { return storage_.use_count() == 1; }
  bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }

 private:
  std::shared_ptr<float> storage_;
  int64_t offset_ = 0;
  Shape shape_;
  int64_t numel_ = 0;
  Device device_;
};

// Throws std::invalid_argument("<what>: expected shape A, got B") when the shapes differ.
void check_shape(const Tensor& t, const Shape& expected, const std::string& what);

}  // namespace nn
