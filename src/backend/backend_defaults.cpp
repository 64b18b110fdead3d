// The Backend interface's default kernels: compositions of its required ones.
#include "nn/backend/backend.hpp"

namespace nn {

void Backend::linear(const float* x, const float* w, const float* bias, Epilogue act, float* y, int64_t m,
                     int64_t n, int64_t k) {
  gemm(false, false, m, n, k, 1.0f, x, k, w, n, 0.0f, y, n);
  bias_activation(y, bias, m, n, 1, act);
}

}  // namespace nn
