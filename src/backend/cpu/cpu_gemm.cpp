// GEMM on OpenBLAS.
//
// Fast path by default: OpenBLAS 0.3.21 (Debian 12) does not recognise AMD Zen 4/5 and runs its
// AVX2 "Haswell" kernels there, half the speed of its AVX-512 "SkylakeX" kernels on the same
// cores. When the CPU has the AVX-512 subsets those kernels use and OpenBLAS chose a core without
// them, nn re-runs OpenBLAS's dynamic core selection with OPENBLAS_CORETYPE=SkylakeX, which is
// what the user would get by exporting the variable. An explicit OPENBLAS_CORETYPE is respected,
// and NN_BLAS_CORETYPE=auto keeps OpenBLAS's own choice.
//
// A product with one row or one column (batch-1 inference: a Dense layer on one image) goes to
// sgemv: OpenBLAS's sgemm would copy ("pack") the whole weight matrix on every such call, which
// cost two thirds of the cnn's batch-1 inference.
//
// Threading: OpenBLAS is pinned to one thread; large products are split into column (or row)
// panels across nn's thread pool, so BLAS threads never oversubscribe the cores nn uses.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "cpu_backend.hpp"
#include "thread_pool.hpp"

extern "C" {
// Present in OpenBLAS builds with DYNAMIC_ARCH (Debian's); weak so other builds still link.
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace nn::detail {
namespace {

bool cpu_has_avx512_kernels_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512cd");
#else
  return false;
#endif
}

bool core_has_avx512(const std::string& core) {
  return core == "SkylakeX" || core == "Cooperlake" || core == "SapphireRapids";
}

void select_fast_core() {
  if (std::getenv("OPENBLAS_CORETYPE")) return;  // the user's explicit choice
  if (const char* mode = std::getenv("NN_BLAS_CORETYPE"); mode && std::strcmp(mode, "auto") == 0)
    return;
  if (!gotoblas_dynamic_init || !gotoblas_dynamic_quit) return;  // not a DYNAMIC_ARCH build
  if (!cpu_has_avx512_kernels_isa() || core_has_avx512(openblas_get_corename())) return;
  setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
}

CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }

}  // namespace

void init_blas() {
  static std::once_flag once;
  std::call_once(once, [] {
    select_fast_core();
    openblas_set_num_threads(1);
  });
}

std::string blas_core_name() {
  init_blas();
  return openblas_get_corename();
}

namespace {

blasint bi(int64_t v) { return static_cast<blasint>(v); }

// c = alpha * op(a) op(b) + beta * c where m == 1 or n == 1, as a matrix-vector product. With
// beta == 0, c's old contents are ignored (as in sgemm), even NaNs left in a reused buffer.
void sgemv_for_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) {
  if (m == 1) {
    // c(1, n) = op(a)(1, k) op(b)(k, n): c = op(b)^T x, x = op(a)'s row.
    if (beta == 0.0f) std::fill(c, c + n, 0.0f);
    const int64_t incx = trans_a ? lda : 1;
    if (trans_b)  // b is stored (n, k)
      cblas_sgemv(CblasRowMajor, CblasNoTrans, bi(n), bi(k), alpha, b, bi(ldb), a, bi(incx), beta, c, 1);
    else  // b is stored (k, n)
      cblas_sgemv(CblasRowMajor, CblasTrans, bi(k), bi(n), alpha, b, bi(ldb), a, bi(incx), beta, c, 1);
    return;
  }
  // n == 1: c(m, 1) = op(a)(m, k) x, x = op(b)'s column; c's column has stride ldc.
  if (beta == 0.0f)
    for (int64_t i = 0; i < m; ++i) c[i * ldc] = 0.0f;
  const int64_t incx = trans_b ? 1 : ldb;
  if (trans_a)  // a is stored (k, m)
    cblas_sgemv(CblasRowMajor, CblasTrans, bi(k), bi(m), alpha, a, bi(lda), b, bi(incx), beta, c, bi(ldc));
  else  // a is stored (m, k)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, bi(m), bi(k), alpha, a, bi(lda), b, bi(incx), beta, c, bi(ldc));
}

}  // namespace

void sgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc) {
  if (m == 0 || n == 0) return;
  if ((m == 1 || n == 1) && k > 0) {
    sgemv_for_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, tr(trans_a), tr(trans_b), static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void sgemm_parallel(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                    float* c, int64_t ldc) {
  const auto pool = thread_pool();
  const int threads = pool->size();
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (threads == 1 || flops < 4e6) {
    sgemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // Split the larger output dimension into panels; multiples of 16 keep the kernels' tiles whole.
  const bool split_rows = m >= n;
  const int64_t extent = split_rows ? m : n;
  int64_t panel = (extent + threads - 1) / threads;
  panel = std::max<int64_t>(16, (panel + 15) / 16 * 16);
  const int64_t panels = (extent + panel - 1) / panel;
  pool->parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t begin = p * panel, len = std::min(panel, extent - begin);
      if (split_rows) {
        const float* ap = trans_a ? a + begin : a + begin * lda;
        sgemm_serial(trans_a, trans_b, len, n, k, alpha, ap, lda, b, ldb, beta, c + begin * ldc,
                     ldc);
      } else {
        const float* bp = trans_b ? b + begin * ldb : b + begin;
        sgemm_serial(trans_a, trans_b, m, len, k, alpha, a, lda, bp, ldb, beta, c + begin, ldc);
      }
    }
  });
}

}  // namespace nn::detail
