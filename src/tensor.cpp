#include "nn/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "util/dtype_convert.hpp"

namespace nn {

// ---------------------------------------------------------------- Tensor

using detail::from_double;
using detail::with_type;

Tensor::Tensor(Shape shape, Device device) : Tensor(std::move(shape), TensorOptions().device(device)) {}

Tensor::Tensor(Shape shape, const TensorOptions& options)
    : shape_(std::move(shape)), device_(options.device()), dtype_(options.dtype()) {
  for (int64_t d : shape_)
    if (d < 0) throw std::invalid_argument("Tensor: negative extent in shape " + to_string(shape_));
  numel_ = nn::numel(shape_);
  // The allocator counts 4-byte units; every dtype's elements stay aligned to their size.
  const int64_t units = (numel_ * static_cast<int64_t>(element_size(dtype_)) + 3) / 4;
  storage_ = backend_for(device_).allocate(std::max<int64_t>(1, units));
}

void Tensor::check_dtype(DType wanted) const {
  if (wanted != dtype_)
    throw std::invalid_argument(fmt::format("Tensor: {} access to a tensor of dtype {} and shape {}",
                                            nn::to_string(wanted), nn::to_string(dtype_), to_string(shape_)));
}

void Tensor::check_host(const char* what) const {
  if (!device_.is_host())
    throw std::logic_error(fmt::format("Tensor::{}: the tensor of shape {} is on device {}, whose memory the host "
                                       "cannot read; copy it with to_vector(), item() or to(Device::cpu())",
                                       what, to_string(shape_), nn::to_string(device_)));
}

void Tensor::copy_to_host(void* dst) const {
  if (numel_) backend_for(device_).copy_bytes_to_host(bytes(), dst, nbytes());
}

Tensor Tensor::empty(Shape shape, Device device) { return Tensor(std::move(shape), device); }
Tensor Tensor::empty(Shape shape, const TensorOptions& options) { return Tensor(std::move(shape), options); }

Tensor Tensor::full(Shape shape, float value, Device device) {
  Tensor t(std::move(shape), device);
  t.fill(value);
  return t;
}
Tensor Tensor::full(Shape shape, double value, const TensorOptions& options) {
  Tensor t(std::move(shape), options);
  if (t.dtype_ == kFloat32) {
    t.fill(static_cast<float>(value));
  } else if (t.numel_) {
    std::vector<char> host(t.nbytes());
    with_type(t.dtype_, [&](auto tag) {
      using T = decltype(tag);
      std::fill_n(reinterpret_cast<T*>(host.data()), t.numel_, from_double<T>(value));
    });
    backend_for(t.device_).copy_bytes_from_host(host.data(), t.bytes(), host.size());
  }
  return t;
}
Tensor Tensor::zeros(Shape shape, Device device) { return full(std::move(shape), 0.0f, device); }
Tensor Tensor::zeros(Shape shape, const TensorOptions& options) { return full(std::move(shape), 0.0, options); }
Tensor Tensor::ones(Shape shape, Device device) { return full(std::move(shape), 1.0f, device); }
Tensor Tensor::ones(Shape shape, const TensorOptions& options) { return full(std::move(shape), 1.0, options); }
Tensor Tensor::scalar(float value, Device device) { return full({}, value, device); }

namespace {
template <class T>
Tensor tensor_of(Shape shape, const std::vector<T>& values, Device device) {
  Tensor t(std::move(shape), TensorOptions().dtype(dtype_of<T>::value).device(device));
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw std::invalid_argument(fmt::format("Tensor::from_vector: {} values for shape {}",
                                            values.size(), to_string(t.shape())));
  if (t.numel()) backend_for(device).copy_bytes_from_host(values.data(), t.untyped_data_ptr(), t.nbytes());
  return t;
}
}  // namespace

Tensor Tensor::from_vector(Shape shape, const std::vector<float>& values, Device device) {
  return tensor_of(std::move(shape), values, device);
}
template <class T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values, Device device) {
  return tensor_of(std::move(shape), values, device);
}
template Tensor Tensor::from_vector(Shape, const std::vector<Half>&, Device);
template Tensor Tensor::from_vector(Shape, const std::vector<BFloat16>&, Device);
template Tensor Tensor::from_vector(Shape, const std::vector<int32_t>&, Device);
template Tensor Tensor::from_vector(Shape, const std::vector<int64_t>&, Device);
template Tensor Tensor::from_vector(Shape, const std::vector<uint8_t>&, Device);

int64_t Tensor::dim(int axis) const {
  return shape_[static_cast<size_t>(normalize_axis(axis, ndim()))];
}

Tensor Tensor::reshape(Shape shape) const {
  int64_t known = 1;
  int free_axis = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (free_axis >= 0) throw std::invalid_argument("reshape: more than one -1 extent");
      free_axis = static_cast<int>(i);
    } else {
      if (shape[i] < 0 || __builtin_mul_overflow(known, shape[i], &known) || known > kMaxElements)
        throw std::invalid_argument(fmt::format("reshape: cannot view a tensor of shape {} as {}",
                                                to_string(shape_), to_string(shape)));
    }
  }
  if (free_axis >= 0 && known > 0 && numel_ % known == 0) shape[static_cast<size_t>(free_axis)] = numel_ / known;
  if (nn::numel(shape) != numel_ || (free_axis >= 0 && shape[static_cast<size_t>(free_axis)] < 0))
    throw std::invalid_argument(fmt::format("reshape: cannot view a tensor of shape {} as {}",
                                            to_string(shape_), to_string(shape)));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::slice(int64_t begin, int64_t end) const {
  if (ndim() == 0 || begin < 0 || end > shape_[0] || begin > end)
    throw std::out_of_range(fmt::format("slice [{}, {}) out of range for shape {}", begin, end,
                                        to_string(shape_)));
  Tensor t = *this;
  const int64_t row = shape_[0] ? numel_ / shape_[0] : 0;
  t.offset_ += begin * row * static_cast<int64_t>(element_size(dtype_));
  t.shape_[0] = end - begin;
  t.numel_ = t.shape_[0] * row;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(shape_, options());
  backend_for(device_).copy_bytes(bytes(), t.bytes(), nbytes());
  return t;
}

Tensor Tensor::to(Device device) const {
  if (device == device_) return *this;
  Tensor t(shape_, options().device(device));
  if (device_.is_cpu()) {
    backend_for(device).copy_bytes_from_host(bytes(), t.bytes(), nbytes());
  } else if (device.is_cpu()) {
    backend_for(device_).copy_bytes_to_host(bytes(), t.bytes(), nbytes());
  } else {
    return to(Device::cpu()).to(device);
  }
  return t;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor t(shape_, options().dtype(dtype));
  if (numel_) backend_for(device_).convert(bytes(), dtype_, t.bytes(), dtype, numel_);  // on the device
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  check_shape(src, shape_, "Tensor::copy_from");
  if (src.dtype_ != dtype_)
    throw std::invalid_argument(fmt::format("Tensor::copy_from: a tensor of dtype {} into one of dtype {} (convert "
                                            "it with to())",
                                            nn::to_string(src.dtype_), nn::to_string(dtype_)));
  if (src.device_ == device_) {
    backend_for(device_).copy_bytes(src.bytes(), bytes(), nbytes());
  } else {
    Tensor moved = src.to(device_);
    backend_for(device_).copy_bytes(moved.bytes(), bytes(), nbytes());
  }
}

void Tensor::fill(float value) {
  if (dtype_ == kFloat32) {
    backend_for(device_).fill(data_ptr(), value, numel_);
  } else {
    Tensor t = full(shape_, static_cast<double>(value), options());
    backend_for(device_).copy_bytes(t.bytes(), bytes(), nbytes());
  }
}

float Tensor::item() const {
  if (numel_ != 1)
    throw std::invalid_argument("item: tensor of shape " + to_string(shape_) + " is not one element");
  return at_flat(0);
}

float Tensor::at(std::initializer_list<int64_t> index) const {
  if (static_cast<int>(index.size()) != ndim())
    throw std::invalid_argument("at: index rank does not match shape " + to_string(shape_));
  int64_t flat = 0;
  size_t i = 0;
  for (int64_t ix : index) {
    if (ix < 0 || ix >= shape_[i]) throw std::out_of_range("at: index out of range for " + to_string(shape_));
    flat = flat * shape_[i++] + ix;
  }
  return at_flat(flat);
}

float Tensor::at_flat(int64_t flat) const {
  const size_t size = element_size(dtype_);
  alignas(8) char v[8] = {};
  backend_for(device_).copy_bytes_to_host(bytes() + static_cast<size_t>(flat) * size, v, size);
  float f = 0.0f;
  detail::convert_elements(v, dtype_, &f, kFloat32, 1);
  return f;
}

void check_shape(const Tensor& t, const Shape& expected, const std::string& what) {
  if (t.shape() != expected)
    throw std::invalid_argument(fmt::format("{}: expected shape {}, got {}", what,
                                            to_string(expected), to_string(t.shape())));
}

void check_same_device(const std::string& what, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (!t || !t->defined()) continue;
    if (!first) {
      first = t;
    } else if (t->device() != first->device()) {
      throw std::invalid_argument(fmt::format("{}: operands on different devices: {} (shape {}) and {} (shape {}); move "
                                              "them to one device with to()",
                                              what, nn::to_string(first->device()), to_string(first->shape()),
                                              nn::to_string(t->device()), to_string(t->shape())));
    }
  }
}

void check_same_device(const std::string& what, const Tensor& a, const Tensor& b) {
  check_same_device(what, {&a, &b});
}

}  // namespace nn
