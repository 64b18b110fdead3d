#pragma once
// Matrix products through cuBLASLt: nn's row-major C = op(A) op(B) computed as the column-major
// C^T = op(B)^T op(A)^T, with a dense layer's bias and ReLU as the matmul's epilogue (one kernel),
// TF32 tensor cores when nn::cuda::allow_tf32_matmul(), and bfloat16 inputs (float32 accumulation
// and output) inside an Autocast(kBFloat16) scope. The algorithm for each problem shape is chosen
// once by cuBLASLt's heuristic and kept.
#include <cublasLt.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "nn/backend/backend.hpp"

namespace nn::detail::cuda {

class CudaBackend;

class GemmEngine {
 public:
  explicit GemmEngine(CudaBackend& backend);
  ~GemmEngine();
  GemmEngine(const GemmEngine&) = delete;
  GemmEngine& operator=(const GemmEngine&) = delete;

  // C(m, n) = act(alpha op(A) op(B) + beta C + bias(n)); bias may be null.
  void run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias, Epilogue act);

 private:
  struct Plan;
  // trans_a, trans_b, m, n, k, lda, ldb, ldc, bias, act, bfloat16, tf32, and the alignment of the
  // operands' addresses (a, b, c, bias: cuBLASLt's kernels assume what the plan was chosen for).
  using Key = std::tuple<bool, bool, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, int, bool, bool, int,
                         int, int, int>;
  // `bias` is this call's: the heuristic reads its alignment from the pointer.
  Plan& plan_for(const Key& key, const float* bias);

  CudaBackend& backend_;
  cublasLtHandle_t handle_ = nullptr;
  std::mutex mutex_;  // the plans, and each plan's descriptor while its bias pointer is set and used
  std::map<Key, Plan*> plans_;
};

}  // namespace nn::detail::cuda
