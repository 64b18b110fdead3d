#pragma once
// Shape: the extents of a tensor, outermost first (row-major). Batch dimensions are part of a
// tensor's shape; layers describe their inputs without the batch dimension.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace nn {

using Shape = std::vector<int64_t>;

// "(2, 3, 4)"; a scalar shape prints as "()"; -1 (a free batch dimension) prints as "None".
std::string to_string(const Shape& shape);

// Product of the extents; 1 for a scalar shape.
int64_t numel(const Shape& shape);

// Resolves a negative axis (-1 is the last) and checks it against ndim; throws std::out_of_range.
int normalize_axis(int axis, int ndim);

// The shape two operands broadcast to, NumPy rules; throws std::invalid_argument naming both.
Shape broadcast_shapes(const Shape& a, const Shape& b);

}  // namespace nn
