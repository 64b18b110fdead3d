#include "nn/precision.hpp"

#include <stdexcept>

namespace nn {
namespace {
thread_local DType t_autocast = kFloat32;
}

Autocast::Autocast(DType dtype) : previous_(t_autocast) {
  if (dtype != kFloat32 && dtype != kBFloat16)
    throw std::invalid_argument("Autocast: " + to_string(dtype) + " is not a compute precision (float32 or bfloat16)");
  t_autocast = dtype;
}

Autocast::~Autocast() { t_autocast = previous_; }

DType autocast_dtype() { return t_autocast; }

}  // namespace nn
