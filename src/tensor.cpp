#include "nn/tensor.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"

namespace nn {

// ---------------------------------------------------------------- Device

std::string to_string(const Device& device) {
  return device.is_cpu() ? std::string("cpu") : fmt::format("cuda:{}", device.index);
}

// ---------------------------------------------------------------- Tensor

Tensor::Tensor(Shape shape, Device device) : shape_(std::move(shape)), device_(device) {
  for (int64_t d : shape_)
    if (d < 0) throw std::invalid_argument("Tensor: negative extent in shape " + to_string(shape_));
  numel_ = nn::numel(shape_);
  storage_ = backend_for(device_).allocate(std::max<int64_t>(1, numel_));
}

Tensor Tensor::empty(Shape shape, Device device) { return Tensor(std::move(shape), device); }

Tensor Tensor::full(Shape shape, float value, Device device) {
  Tensor t(std::move(shape), device);
  t.fill(value);
  return t;
}
Tensor Tensor::zeros(Shape shape, Device device) { return full(std::move(shape), 0.0f, device); }
Tensor Tensor::ones(Shape shape, Device device) { return full(std::move(shape), 1.0f, device); }
Tensor Tensor::scalar(float value, Device device) { return full({}, value, device); }

Tensor Tensor::from_vector(Shape shape, const std::vector<float>& values, Device device) {
  Tensor t(std::move(shape), device);
  if (static_cast<int64_t>(values.size()) != t.numel())
    throw std::invalid_argument(fmt::format("Tensor::from_vector: {} values for shape {}",
                                            values.size(), to_string(t.shape())));
  backend_for(device).copy_from_host(values.data(), t.data(), t.numel());
  return t;
}

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
  t.offset_ += begin * row;
  t.shape_[0] = end - begin;
  t.numel_ = t.shape_[0] * row;
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(shape_, device_);
  backend_for(device_).copy(data(), t.data(), numel_);
  return t;
}

Tensor Tensor::to(Device device) const {
  if (device == device_) return *this;
  Tensor t(shape_, device);
  if (device_.is_cpu()) {
    backend_for(device).copy_from_host(data(), t.data(), numel_);
  } else if (device.is_cpu()) {
    backend_for(device_).copy_to_host(data(), t.data(), numel_);
  } else {
    return to(Device::cpu()).to(device);
  }
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  check_shape(src, shape_, "Tensor::copy_from");
  if (src.device_ == device_) {
    backend_for(device_).copy(src.data(), data(), numel_);
  } else {
    Tensor moved = src.to(device_);
    backend_for(device_).copy(moved.data(), data(), numel_);
  }
}

void Tensor::fill(float value) { backend_for(device_).fill(data(), value, numel_); }

std::vector<float> Tensor::to_vector() const {
  std::vector<float> v(static_cast<size_t>(numel_));
  if (numel_) backend_for(device_).copy_to_host(data(), v.data(), numel_);
  return v;
}

float Tensor::item() const {
  if (numel_ != 1)
    throw std::invalid_argument("item: tensor of shape " + to_string(shape_) + " is not one element");
  float v = 0.0f;
  backend_for(device_).copy_to_host(data(), &v, 1);
  return v;
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
  float v = 0.0f;
  backend_for(device_).copy_to_host(data() + flat, &v, 1);
  return v;
}

void check_shape(const Tensor& t, const Shape& expected, const std::string& what) {
  if (t.shape() != expected)
    throw std::invalid_argument(fmt::format("{}: expected shape {}, got {}", what,
                                            to_string(expected), to_string(t.shape())));
}

}  // namespace nn
