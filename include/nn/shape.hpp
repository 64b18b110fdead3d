#pragma once
// Shape: the extents of a tensor, outermost first (row-major). Batch dimensions are part of a
// tensor's shape; layers describe their inputs without the batch dimension.
//
// Every product of extents goes through checked arithmetic (numel, checked_mul): shapes come
// from files and requests, and a product that wraps around 64 bits would make every size check
// after it pass. kMaxElements bounds an element count so that byte counts and sums of a few
// element counts cannot overflow either.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace nn {

using Shape = std::vector<int64_t>;

inline constexpr int64_t kMaxElements = int64_t{1} << 56;

// "(2, 3, 4)"; a scalar shape prints as "()"; -1 (a free batch dimension) prints as "None".
std::string to_string(const Shape& shape);

// Product of the extents; 1 for a scalar shape. Throws std::invalid_argument naming the shape for
// a negative extent or a product over kMaxElements.
int64_t numel(const Shape& shape);

// a * b and a + b for non-negative operands; std::invalid_argument "<what>: ... too large" past
// kMaxElements (or for a negative operand).
int64_t checked_mul(int64_t a, int64_t b, const char* what);
int64_t checked_add(int64_t a, int64_t b, const char* what);

// Resolves a negative axis (-1 is the last) and checks it against ndim; throws std::out_of_range.
int normalize_axis(int axis, int ndim);

// The shape two operands broadcast to, NumPy rules; throws std::invalid_argument naming both.
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace nn
