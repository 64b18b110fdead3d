#include "cuda_gemm.hpp"

#include <cstdint>
#include <memory>

#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "cuda_kernels.hpp"
#include "nn/cuda.hpp"
#include "nn/precision.hpp"

namespace nn::detail::cuda {
namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;  // what cuBLAS asks for on Hopper

void check_lt(cublasStatus_t s, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw CudaError(fmt::format("cublasLt: {}: {} ({})", call, cublasLtGetStatusString(s), cublasLtGetStatusName(s)));
}
#define NN_LT_CHECK(call) check_lt((call), #call)

// The largest power of two up to 256 that divides the address.
int alignment(const void* p) {
  const auto address = reinterpret_cast<uintptr_t>(p);
  int a = 256;
  while (a > 1 && address % static_cast<uintptr_t>(a) != 0) a /= 2;
  return a;
}

}  // namespace

// One problem shape's descriptors and chosen algorithm.
struct GemmEngine::Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;  // cuBLASLt's A (nn's b), B (nn's a), C/D
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;
  bool fused_act = false;  // the activation is in the epilogue (else a kernel applies it after)
  bool bias = false;
  ~Plan() {
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

GemmEngine::GemmEngine(CudaBackend& backend) : backend_(backend) { NN_LT_CHECK(cublasLtCreate(&handle_)); }

GemmEngine::~GemmEngine() {
  for (auto& [key, plan] : plans_) delete plan;
  if (handle_) cublasLtDestroy(handle_);
}

GemmEngine::Plan& GemmEngine::plan_for(const Key& key, const float* bias) {
  if (auto it = plans_.find(key); it != plans_.end()) return *it->second;
  const auto [trans_a, trans_b, m, n, k, lda, ldb, ldc, has_bias, act_code, bf16, tf32, align_a, align_b, align_c,
              align_bias] = key;
  (void)align_bias;  // in the key; the heuristic reads it from the pointer itself
  const auto act = static_cast<Epilogue>(act_code);
  auto plan = std::make_unique<Plan>();
  const cublasComputeType_t compute = bf16 ? CUBLAS_COMPUTE_32F : tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  const cudaDataType_t in_type = bf16 ? CUDA_R_16BF : CUDA_R_32F;
  NN_LT_CHECK(cublasLtMatmulDescCreate(&plan->desc, compute, CUDA_R_32F));
  const cublasOperation_t op_a = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  NN_LT_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof(op_a)));
  NN_LT_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof(op_b)));
  // Column-major: cuBLASLt's A is nn's b, stored (n x k) or, transposed, (k x n); its B is nn's a.
  NN_LT_CHECK(cublasLtMatrixLayoutCreate(&plan->a, in_type, trans_b ? k : n, trans_b ? n : k, ldb));
  NN_LT_CHECK(cublasLtMatrixLayoutCreate(&plan->b, in_type, trans_a ? m : k, trans_a ? k : m, lda));
  NN_LT_CHECK(cublasLtMatrixLayoutCreate(&plan->c, CUDA_R_32F, n, m, ldc));

  cublasLtMatmulPreference_t raw_pref = nullptr;
  NN_LT_CHECK(cublasLtMatmulPreferenceCreate(&raw_pref));
  const std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, decltype(&cublasLtMatmulPreferenceDestroy)> owned(
      raw_pref, &cublasLtMatmulPreferenceDestroy);
  cublasLtMatmulPreference_t pref = owned.get();
  const size_t workspace = kWorkspaceBytes;
  NN_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace,
                                                   sizeof(workspace)));
  // The addresses' alignment (a tensor's slice may start anywhere; cuBLASLt assumes 256 bytes).
  // cuBLASLt's A is nn's b, its B nn's a.
  const auto set_align = [&](cublasLtMatmulPreferenceAttributes_t attribute, int bytes) {
    const auto value = static_cast<uint32_t>(bytes);
    NN_LT_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attribute, &value, sizeof(value)));
  };
  set_align(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align_b);
  set_align(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align_a);
  set_align(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align_c);
  set_align(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align_c);
  // The epilogue: bias and ReLU fused where asked; sigmoid and tanh run as a kernel after the bias.
  const auto try_epilogue = [&](cublasLtEpilogue_t epilogue, int& found, cublasLtMatmulHeuristicResult_t& result) {
    NN_LT_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof(epilogue)));
    if (has_bias)  // the heuristic infers the bias's alignment from its address
      NN_LT_CHECK(cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
    found = 0;
    const cublasStatus_t s = cublasLtMatmulAlgoGetHeuristic(handle_, plan->desc, plan->a, plan->b, plan->c, plan->c,
                                                            pref, 1, &result, &found);
    if (s != CUBLAS_STATUS_SUCCESS && s != CUBLAS_STATUS_NOT_SUPPORTED) check_lt(s, "cublasLtMatmulAlgoGetHeuristic");
    return found > 0;
  };
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  cublasLtEpilogue_t wanted = CUBLASLT_EPILOGUE_DEFAULT;
  if (has_bias) wanted = act == Epilogue::Relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  else if (act == Epilogue::Relu) wanted = CUBLASLT_EPILOGUE_RELU;
  if (wanted != CUBLASLT_EPILOGUE_DEFAULT && try_epilogue(wanted, found, result)) {
    plan->bias = has_bias;
    plan->fused_act = act == Epilogue::Relu;
  } else if (!try_epilogue(CUBLASLT_EPILOGUE_DEFAULT, found, result)) {
    throw CudaError(fmt::format("cublasLt: no algorithm for a {}x{}x{} matrix product (trans {} {})", m, n, k,
                                trans_a, trans_b));
  }
  plan->algo = result.algo;
  plan->workspace = result.workspaceSize;
  Plan& out = *plan;
  plans_.emplace(key, plan.release());
  return out;
}

void GemmEngine::run(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                     int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const float* bias,
                     Epilogue act) {
  if (m == 0 || n == 0) return;
  cudaStream_t stream = backend_.queue();
  if (k == 0) {  // an empty sum: C = beta C, then the bias and activation (row by row when C is strided)
    if (ldc == n) {
      if (beta == 0.0f) backend_.fill(c, 0.0f, m * n);
      else backend_.scale(m * n, beta, c, c);
      backend_.bias_activation(c, bias, m, n, 1, act);
      return;
    }
    for (int64_t r = 0; r < m; ++r) {
      float* row = c + r * ldc;
      if (beta == 0.0f) backend_.fill(row, 0.0f, n);
      else backend_.scale(n, beta, row, row);
      backend_.bias_activation(row, bias, 1, n, 1, act);
    }
    return;
  }
  const bool bf16 = autocast_dtype() == kBFloat16;
  const bool tf32 = !bf16 && nn::cuda::allow_tf32_matmul();
  // bfloat16 copies of the operands (the float32 ones stay the master copy), over their whole strided
  // extent.
  std::shared_ptr<float> a16, b16;
  const void* pa = a;
  const void* pb = b;
  if (bf16) {
    // The strided extent: every row but the last whole, the last up to its used columns.
    const int64_t a_count = ((trans_a ? k : m) - 1) * lda + (trans_a ? m : k);
    const int64_t b_count = ((trans_b ? n : k) - 1) * ldb + (trans_b ? k : n);
    a16 = backend_.scratch(static_cast<size_t>(a_count) * 2);
    b16 = backend_.scratch(static_cast<size_t>(b_count) * 2);
    cuda::convert(stream, a, kFloat32, a16.get(), kBFloat16, a_count);
    cuda::convert(stream, b, kFloat32, b16.get(), kBFloat16, b_count);
    pa = a16.get();
    pb = b16.get();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Plan& plan = plan_for(Key{trans_a, trans_b, m, n, k, lda, ldb, ldc, bias != nullptr, static_cast<int>(act), bf16, tf32,
                            alignment(pa), alignment(pb), alignment(c), bias ? alignment(bias) : 256},
                        bias);
  if (plan.bias)
    NN_LT_CHECK(cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof(bias)));
  std::shared_ptr<float> workspace = plan.workspace ? backend_.scratch(plan.workspace) : nullptr;
  NN_LT_CHECK(cublasLtMatmul(handle_, plan.desc, &alpha, pb, plan.a, pa, plan.b, &beta, c, plan.c, c, plan.c,
                             &plan.algo, workspace.get(), plan.workspace, stream));
  // What the epilogue did not do: the bias (an unsupported epilogue) and sigmoid or tanh.
  const float* rest_bias = plan.bias ? nullptr : bias;
  const Epilogue rest_act = plan.fused_act ? Epilogue::None : act;
  if (rest_bias || rest_act != Epilogue::None) cuda::bias_activation(stream, c, rest_bias, m, n, 1, rest_act);
}

}  // namespace nn::detail::cuda
