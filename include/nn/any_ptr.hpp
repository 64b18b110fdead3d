#pragma once
// AnyPtr<Base>: what an API taking "a Base" accepts, as Keras takes an optimizer, a loss or a
// schedule: an object of any class derived from Base (moved into a shared_ptr) or a shared_ptr
// to one. AnyLoss and AnyOptimizer add a constructor by name; AnySchedule is AnyPtr itself.
//   void compile(AnyOptimizer optimizer, ...);   compile(nn::Adam(1e-4), ...)   compile(ptr, ...)
#include <memory>
#include <type_traits>
#include <utility>

namespace nn {

template <class Base>
class AnyPtr {
 public:
  template <class T, class = std::enable_if_t<std::is_base_of_v<Base, T>>>
  AnyPtr(std::shared_ptr<T> ptr) : ptr_(std::move(ptr)) {}  // NOLINT(google-explicit-constructor)
  template <class T, class = std::enable_if_t<std::is_base_of_v<Base, T>>>
  AnyPtr(T object) : ptr_(std::make_shared<T>(std::move(object))) {}  // NOLINT(google-explicit-constructor)
  const std::shared_ptr<Base>& ptr() const { return ptr_; }

 private:
  std::shared_ptr<Base> ptr_;
};

}  // namespace nn
