#pragma once
#include <cstdint>
#include <string>

#include "nn/autograd/variable.hpp"
#include "nn/random.hpp"

namespace nn {

// The mask is counter-based: element i of a batch keeps with a draw at counter i of the step's
// seed. In data-parallel training replica r of n holds rows r, r + n, r + 2n, ... of the global
// batch (Dataset::shard, then batch(B / n)); with rows {r, n}, row j of a replica's batch draws from
// the counters of global row first + j * stride: the replicas' masks are then independent of each
// other, and together the masks one process draws for the global batch (nn::distributed sets this
// on a model's Dropout layers).
struct DropoutRows {
  int64_t first = 0;
  int64_t stride = 1;
};
// Throws std::invalid_argument("<what>: rows need 0 <= first < stride, ...") for others.
void check_rows(const DropoutRows& rows, const std::string& what);

// Inverted dropout: in training, each element is zeroed with probability `rate` and the rest
// scaled by 1/(1-rate), so evaluation is the identity. The mask is drawn from `gen`.
Variable dropout(const Variable& x, float rate, bool training, Generator& gen = default_generator(),
                 DropoutRows rows = {});

}  // namespace nn
