#pragma once
// Named options in the style of PyTorch's C++ frontend: each option is a private field with a
// chainable setter and a getter, and every field has a default, so adding one breaks nobody and
// arguments can never shift position:
//
//   nn::Conv2D conv(nn::Conv2DOptions(32, 5).strides(2).padding("same").activation("relu"));
//   int64_t s = options.strides()[0];
#define NN_ARG(T, name)                                    \
 public:                                                   \
  auto name(const T& new_##name)->decltype(*this) {        \
    this->name##_ = new_##name;                            \
    return *this;                                          \
  }                                                        \
  const T& name() const noexcept { return this->name##_; } \
  T& name() noexcept { return this->name##_; }             \
                                                           \
 private:                                                  \
  T name##_
