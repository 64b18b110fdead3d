#pragma once
// Tensor: a dense, contiguous, row-major n-d array of one element type (dtype.hpp) that knows
// its device.
//
// Tensors share storage on copy (like torch.Tensor); clone() makes a deep copy. Memory comes
// from the device's Backend, whose caching allocator makes a training step's buffers reuse the
// previous step's, so steady-state training allocates nothing from the system. Element access is
// typed and checked: data() is float32's, data<T>() any dtype's, and asking for the wrong one is
// an error naming both.
//
//   Tensor labels = Tensor::zeros({64}, TensorOptions().dtype(kInt64));
//   int64_t* p = labels.data<int64_t>();
//   Tensor x = images.to(kFloat32);  // converts (uint8 -> float32 keeps the values 0..255)
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "nn/arg.hpp"
#include "nn/device.hpp"
#include "nn/dtype.hpp"
#include "nn/shape.hpp"

namespace nn {

class TensorOptions {
  NN_ARG(DType, dtype) = kFloat32;
  NN_ARG(Device, device) = Device::cpu();
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false
  explicit Tensor(Shape shape, Device device = Device::cpu());  // float32, uninitialised contents
  Tensor(Shape shape, const TensorOptions& options);             // uninitialised contents

  static Tensor empty(Shape shape, Device device = Device::cpu());
  static Tensor empty(Shape shape, const TensorOptions& options);
  static Tensor zeros(Shape shape, Device device = Device::cpu());
  static Tensor zeros(Shape shape, const TensorOptions& options);
  static Tensor ones(Shape shape, Device device = Device::cpu());
  static Tensor ones(Shape shape, const TensorOptions& options);
  // value converted to the dtype as to(DType) converts.
  static Tensor full(Shape shape, float value, Device device = Device::cpu());
  static Tensor full(Shape shape, double value, const TensorOptions& options);
  static Tensor scalar(float value, Device device = Device::cpu());
  // Copies `values` (numel(shape) of them, else std::invalid_argument) to a new tensor of their
  // element type.
  static Tensor from_vector(Shape shape, const std::vector<float>& values,
                            Device device = Device::cpu());
  // Any element type: Tensor::from_vector({2}, std::vector<int64_t>{3, 7}) is an int64 tensor.
  template <class T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values, Device device = Device::cpu());

  bool defined() const { return static_cast<bool>(storage_); }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int axis) const;  // negative counts from the end
  int64_t numel() const { return numel_; }
  Device device() const { return device_; }
  DType dtype() const { return dtype_; }
  TensorOptions options() const { return TensorOptions().dtype(dtype_).device(device_); }
  size_t nbytes() const { return static_cast<size_t>(numel_) * element_size(dtype_); }

  // Host access: a pointer to the first element of a float32 tensor in memory the host may read
  // and write. Another dtype throws std::invalid_argument naming it; a tensor on a device whose
  // memory the host cannot touch (a GPU, the test device) throws std::logic_error: read it with
  // to_vector(), item() or to(Device::cpu()), which copy and synchronize.
  float* data() { return data<float>(); }
  const float* data() const { return data<float>(); }
  // The same for element type T (float, Half, BFloat16, int32_t, int64_t, uint8_t).
  template <class T>
  T* data() {
    check_host("data");
    return data_ptr<T>();
  }
  template <class T>
  const T* data() const {
    check_host("data");
    return data_ptr<T>();
  }
  void* raw_data() {  // untyped host access, checked as data()
    check_host("raw_data");
    return bytes();
  }
  const void* raw_data() const {
    check_host("raw_data");
    return bytes();
  }
  // The device pointer to the first element, on any device (as torch's data_ptr): for passing to
  // the device's Backend, never to dereference on the host. The typed form checks the dtype.
  template <class T>
  T* data_ptr() {
    check_dtype(dtype_of<T>::value);
    return reinterpret_cast<T*>(bytes());
  }
  template <class T>
  const T* data_ptr() const {
    check_dtype(dtype_of<T>::value);
    return reinterpret_cast<const T*>(bytes());
  }
  float* data_ptr() { return data_ptr<float>(); }  // float32's
  const float* data_ptr() const { return data_ptr<float>(); }
  void* untyped_data_ptr() { return bytes(); }
  const void* untyped_data_ptr() const { return bytes(); }

  // Same storage, new shape (one extent may be -1); throws if the element count differs.
  Tensor reshape(Shape shape) const;
  // Rows [begin, end) of the outermost dimension, sharing storage.
  Tensor slice(int64_t begin, int64_t end) const;
  Tensor clone() const;
  Tensor to(Device device) const;
  // Converted to another element type (itself when it has it already): floats to integers
  // truncate toward zero as C++ and PyTorch do, saturating at the type's range (NaN becomes 0);
  // to float16 and bfloat16 rounds to nearest even.
  Tensor to(DType dtype) const;
  // Copies the contents of `src` (same shape and dtype, any device) into this tensor.
  void copy_from(const Tensor& src);
  void fill(float value);

  // Host copies, row-major: to_vector() of a float32 tensor, to_vector<T>() of any.
  std::vector<float> to_vector() const { return to_vector<float>(); }
  template <class T>
  std::vector<T> to_vector() const {
    check_dtype(dtype_of<T>::value);
    std::vector<T> v(static_cast<size_t>(numel_));
    copy_to_host(v.data());
    return v;
  }
  float item() const;  // the single element of a one-element tensor, as float (any dtype)
  float at(std::initializer_list<int64_t> index) const;  // host read of one element, as float (slow)

  // True when no other Tensor shares this storage (used to accumulate gradients in place).
  bool unique() const { return storage_.use_count() == 1; }
  bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }

 private:
  char* bytes() const { return static_cast<char*>(static_cast<void*>(storage_.get())) + offset_; }
  void check_dtype(DType wanted) const;
  void check_host(const char* what) const;
  void copy_to_host(void* dst) const;
  float at_flat(int64_t flat) const;

  std::shared_ptr<float> storage_;  // the allocator's blocks, in 4-byte units
  int64_t offset_ = 0;              // in bytes
  Shape shape_;
  int64_t numel_ = 0;
  Device device_;
  DType dtype_ = kFloat32;
};

// Throws std::invalid_argument("<what>: expected shape A, got B") when the shapes differ.
void check_shape(const Tensor& t, const Shape& expected, const std::string& what);
// Throws std::invalid_argument("<what>: operands on different devices: cpu and cuda:0 ...") unless
// every defined tensor given is on the first one's device. Ops call it before any kernel.
void check_same_device(const std::string& what, const Tensor& a, const Tensor& b);
void check_same_device(const std::string& what, std::initializer_list<const Tensor*> tensors);

}  // namespace nn
