#pragma once
// Elementwise arithmetic with NumPy broadcasting; gradients are summed back to each operand's
// shape (so a bias (C,) added to (N, C) gets the column sums).
#include "nn/autograd/variable.hpp"

namespace nn {

Variable add(const Variable& a, const Variable& b);  // a + b
Variable sub(const Variable& a, const Variable& b);  // a - b
Variable mul(const Variable& a, const Variable& b);  // a * b
Variable div(const Variable& a, const Variable& b);  // a / b
Variable scale(const Variable& x, float alpha);      // alpha * x
Variable neg(const Variable& x);

inline Variable operator+(const Variable& a, const Variable& b) { return add(a, b); }
inline Variable operator-(const Variable& a, const Variable& b) { return sub(a, b); }
inline Variable operator*(const Variable& a, const Variable& b) { return mul(a, b); }
inline Variable operator/(const Variable& a, const Variable& b) { return div(a, b); }
inline Variable operator*(float alpha, const Variable& x) { return scale(x, alpha); }
inline Variable operator-(const Variable& x) { return neg(x); }

}  // namespace nn
