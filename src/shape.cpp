#include "nn/shape.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace nn {

std::string to_string(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? std::string("None") : std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) || r > kMaxElements)
    throw std::invalid_argument(fmt::format("{}: {} x {} is too large (the limit is 2^56)", what, a, b));
  return r;
}

int64_t checked_add(int64_t a, int64_t b, const char* what) {
  if (a < 0 || b < 0 || a > kMaxElements - b)
    throw std::invalid_argument(fmt::format("{}: {} + {} is too large (the limit is 2^56)", what, a, b));
  return a + b;
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw std::invalid_argument("shape " + to_string(shape) + " has a negative extent");
    try {
      n = checked_mul(n, d, "shape");
    } catch (const std::invalid_argument&) {
      throw std::invalid_argument("shape " + to_string(shape) + " has too many elements (the limit is 2^56)");
    }
  }
  return n;
}

int normalize_axis(int axis, int ndim) {
  const int a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    throw std::out_of_range(fmt::format("axis {} is out of range for {} dimensions", axis, ndim));
  return a;
}

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (size_t i = 0; i < nd; ++i) {
    const int64_t da = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    const int64_t db = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    if (da != db && da != 1 && db != 1)
      throw std::invalid_argument(
          fmt::format("shapes {} and {} cannot be broadcast together", to_string(a), to_string(b)));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace nn
