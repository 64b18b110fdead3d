// The test backend's kernels and copies: the CPU backend's, run with the test device's memory
// open (DeviceAccess, test_memory.hpp) and closed again when they return.
#include "test_backend.hpp"
#include "test_memory.hpp"

namespace nn::detail {

void TestBackend::copy_bytes(const void* src, void* dst, size_t n) {
  const DeviceAccess access;
  CpuBackend::copy_bytes(src, dst, n);
}

void TestBackend::copy_bytes_from_host(const void* src, void* dst, size_t n) {
  const DeviceAccess access;
  CpuBackend::copy_bytes_from_host(src, dst, n);
}

void TestBackend::copy(const float* src, float* dst, int64_t n) {
  const DeviceAccess access;
  CpuBackend::copy(src, dst, n);
}

void TestBackend::copy_from_host(const float* src, float* dst, int64_t n) {
  const DeviceAccess access;
  CpuBackend::copy_from_host(src, dst, n);
}

void TestBackend::fill(float* y, float value, int64_t n) {
  const DeviceAccess access;
  CpuBackend::fill(y, value, n);
}

void TestBackend::convert(const void* src, DType from, void* dst, DType to, int64_t n) {
  const DeviceAccess access;
  CpuBackend::convert(src, from, dst, to, n);
}

void TestBackend::gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const DeviceAccess access;
  CpuBackend::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void TestBackend::axpy(int64_t n, float alpha, const float* x, float* y) {
  const DeviceAccess access;
  CpuBackend::axpy(n, alpha, x, y);
}

void TestBackend::scale(int64_t n, float alpha, const float* x, float* y) {
  const DeviceAccess access;
  CpuBackend::scale(n, alpha, x, y);
}

void TestBackend::unary(UnaryOp op, float alpha, const float* x, float* y, int64_t n) {
  const DeviceAccess access;
  CpuBackend::unary(op, alpha, x, y, n);
}

void TestBackend::unary_backward(UnaryOp op, float alpha, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
  const DeviceAccess access;
  CpuBackend::unary_backward(op, alpha, x, y, dy, dx, n);
}

void TestBackend::binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape, float* out, const Shape& out_shape) {
  const DeviceAccess access;
  CpuBackend::binary(op, a, a_shape, b, b_shape, out, out_shape);
}

void TestBackend::reduce_to_shape(const float* src, const Shape& src_shape, float* dst, const Shape& dst_shape) {
  const DeviceAccess access;
  CpuBackend::reduce_to_shape(src, src_shape, dst, dst_shape);
}

void TestBackend::bias_activation(float* y, const float* bias, int64_t outer, int64_t channels, int64_t inner, Epilogue act) {
  const DeviceAccess access;
  CpuBackend::bias_activation(y, bias, outer, channels, inner, act);
}

void TestBackend::bias_activation_backward(const float* y, const float* dy, float* dz, float* db, int64_t outer, int64_t channels, int64_t inner, Epilogue act) {
  const DeviceAccess access;
  CpuBackend::bias_activation_backward(y, dy, dz, db, outer, channels, inner, act);
}

void TestBackend::sum(const float* x, float* out, int64_t n) {
  const DeviceAccess access;
  CpuBackend::sum(x, out, n);
}

void TestBackend::permute(const float* x, const Shape& x_shape, const std::vector<int>& axes, float* y) {
  const DeviceAccess access;
  CpuBackend::permute(x, x_shape, axes, y);
}

void TestBackend::gather_rows(const void* src, int64_t src_rows, const int64_t* index, void* dst, int64_t count, int64_t row_bytes) {
  const DeviceAccess access;
  CpuBackend::gather_rows(src, src_rows, index, dst, count, row_bytes);
}

void TestBackend::argmax(const float* x, int64_t* out, int64_t outer, int64_t n, int64_t inner) {
  const DeviceAccess access;
  CpuBackend::argmax(x, out, outer, n, inner);
}

void TestBackend::top_k(const float* x, float* values, int64_t* indices, int64_t rows, int64_t cols, int64_t k) {
  const DeviceAccess access;
  CpuBackend::top_k(x, values, indices, rows, cols, k);
}

void TestBackend::clip(const float* x, float* y, int64_t n, float lo, float hi) {
  const DeviceAccess access;
  CpuBackend::clip(x, y, n, lo, hi);
}

void TestBackend::clip_backward(const float* x, const float* dy, float* dx, int64_t n, float lo, float hi) {
  const DeviceAccess access;
  CpuBackend::clip_backward(x, dy, dx, n, lo, hi);
}

void TestBackend::one_hot(const int64_t* labels, float* out, int64_t rows, int64_t cols) {
  const DeviceAccess access;
  CpuBackend::one_hot(labels, out, rows, cols);
}

void TestBackend::softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  const DeviceAccess access;
  CpuBackend::softmax(x, y, rows, cols, log);
}

void TestBackend::softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool log) {
  const DeviceAccess access;
  CpuBackend::softmax_backward(y, dy, dx, rows, cols, log);
}

void TestBackend::softmax_cross_entropy(const float* logits, const float* targets, const int64_t* labels, float* probs, float* loss, int64_t rows, int64_t cols) {
  const DeviceAccess access;
  CpuBackend::softmax_cross_entropy(logits, targets, labels, probs, loss, rows, cols);
}

void TestBackend::softmax_cross_entropy_backward(const float* probs, const float* targets, const int64_t* labels, const float* scale, float* dlogits, int64_t rows, int64_t cols) {
  const DeviceAccess access;
  CpuBackend::softmax_cross_entropy_backward(probs, targets, labels, scale, dlogits, rows, cols);
}

void TestBackend::conv2d_forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* bias, Epilogue act, float* y) {
  const DeviceAccess access;
  CpuBackend::conv2d_forward(plan, p, x, w, bias, act, y);
}

void TestBackend::conv2d_backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w, const float* y, const float* dy, Epilogue act, float* dx, float* dw, float* db) {
  const DeviceAccess access;
  CpuBackend::conv2d_backward(plan, p, x, w, y, dy, act, dx, dw, db);
}

void TestBackend::max_pool2d_forward(const Pool2DParams& p, const float* x, float* y, int32_t* argmax) {
  const DeviceAccess access;
  CpuBackend::max_pool2d_forward(p, x, y, argmax);
}

void TestBackend::max_pool2d_backward(const Pool2DParams& p, const float* dy, const int32_t* argmax, float* dx) {
  const DeviceAccess access;
  CpuBackend::max_pool2d_backward(p, dy, argmax, dx);
}

void TestBackend::avg_pool2d_forward(const Pool2DParams& p, const float* x, float* y) {
  const DeviceAccess access;
  CpuBackend::avg_pool2d_forward(p, x, y);
}

void TestBackend::avg_pool2d_backward(const Pool2DParams& p, const float* dy, float* dx) {
  const DeviceAccess access;
  CpuBackend::avg_pool2d_backward(p, dy, dx);
}

void TestBackend::batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean, float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner, float epsilon) {
  const DeviceAccess access;
  CpuBackend::batch_norm_forward(x, gamma, beta, y, mean, var, inv_std, outer, channels, inner, epsilon);
}

void TestBackend::batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean, const float* var, float* y, float* inv_std, int64_t outer, int64_t channels, int64_t inner, float epsilon) {
  const DeviceAccess access;
  CpuBackend::batch_norm_inference(x, gamma, beta, mean, var, y, inv_std, outer, channels, inner, epsilon);
}

void TestBackend::batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* inv_std, const float* dy, float* dx, float* dgamma, float* dbeta, int64_t outer, int64_t channels, int64_t inner, bool batch_stats) {
  const DeviceAccess access;
  CpuBackend::batch_norm_backward(x, gamma, mean, inv_std, dy, dx, dgamma, dbeta, outer, channels, inner, batch_stats);
}

void TestBackend::dropout(const float* x, float* y, float* mask, int64_t n, float rate, uint64_t seed, uint64_t offset) {
  const DeviceAccess access;
  CpuBackend::dropout(x, y, mask, n, rate, seed, offset);
}

void TestBackend::count_correct(const float* scores, const float* targets, const int64_t* labels, int64_t* total, int64_t rows, int64_t cols, int64_t k) {
  const DeviceAccess access;
  CpuBackend::count_correct(scores, targets, labels, total, rows, cols, k);
}

void TestBackend::sgd_update(const SgdParams& p, float* w, const float* g, float* velocity, int64_t n) {
  const DeviceAccess access;
  CpuBackend::sgd_update(p, w, g, velocity, n);
}

void TestBackend::adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v, int64_t n) {
  const DeviceAccess access;
  CpuBackend::adam_update(p, w, g, m, v, n);
}

void TestBackend::rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g, float* mom, int64_t n) {
  const DeviceAccess access;
  CpuBackend::rmsprop_update(p, w, g, v, avg_g, mom, n);
}

void TestBackend::adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) {
  const DeviceAccess access;
  CpuBackend::adagrad_update(p, w, g, acc, n);
}

}  // namespace nn::detail
