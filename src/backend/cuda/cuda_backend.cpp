// The CUDA backend's memory, streams, copies and the kernels it hands to cuda_kernels.cu and
// cuda_layer_kernels.cu (its label checks: cuda_label_checks.cpp; the devices: cuda_devices.cpp).
#include "cuda_backend.hpp"

#include <cudnn.h>
#include <cublasLt.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <new>
#include <stdexcept>

#include <fmt/format.h>

#include "cuda_check.hpp"
#include "cuda_conv.hpp"
#include "cuda_device.hpp"
#include "cuda_gemm.hpp"
#include "cuda_kernels.hpp"
#include "cuda_softmax.hpp"

namespace nn::detail::cuda {
namespace {

thread_local int t_device = -1;

// An out-of-memory from cudaMalloc: a std::bad_alloc (the allocator frees its cache and retries on
// one) that names the call.
class CudaOutOfMemory : public std::bad_alloc {
 public:
  explicit CudaOutOfMemory(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

constexpr size_t kStagedCopyBytes = size_t{1} << 20;  // smaller copies from pageable memory are staged

std::string describe_device(int index) {
  cudaDeviceProp prop{};
  NN_CUDA_CHECK(cudaGetDeviceProperties(&prop, index));
  return fmt::format("{} (sm_{}{}, {:.1f} GiB)", prop.name, prop.major, prop.minor,
                     static_cast<double>(prop.totalGlobalMem) / (1 << 30));
}

}  // namespace

void activate(int device) {
  if (t_device == device) return;
  NN_CUDA_CHECK(cudaSetDevice(device));
  t_device = device;
}

void activate_noexcept(int device) noexcept {
  if (t_device != device && cudaSetDevice(device) == cudaSuccess) t_device = device;
}

CudaBackend::CudaBackend(int index) : index_(index) {
  activate();
  name_ = fmt::format("cuda:{} ({}, cuDNN {}.{}, cuBLASLt {})", index, describe_device(index), CUDNN_MAJOR,
                      CUDNN_MINOR, cublasLtGetVersion());
  default_stream_ = std::make_shared<CudaStream>(device(), [this](const CudaStream* s) { raise_recorded_errors(s); });
  size_t free_bytes = 0, total_bytes = 0;
  NN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  StreamAllocator::System system{
      [this](size_t n) {
        activate();
        void* p = nullptr;
        const cudaError_t e = cudaMalloc(&p, std::max<size_t>(n, 256));
        if (e == cudaErrorMemoryAllocation) {
          (void)cudaGetLastError();
          throw CudaOutOfMemory(fmt::format("cuda: cudaMalloc({} bytes) on {}: {} ({})", n, to_string(device()),
                                            cudaGetErrorString(e), cudaGetErrorName(e)));
        }
        check(e, "cudaMalloc");
        return p;
      },
      [this](void* p, size_t) {
        activate_noexcept(index_);
        cudaFree(p);
      },
      [this](void* p, size_t n) {
        if (poison_memory()) NN_CUDA_CHECK(cudaMemsetAsync(p, 0xFF, n, queue()));  // NaN floats, -1 ints
      },
      // Waiting for the device to let pending blocks pass raises nothing: the errors recorded
      // on the device belong to the waits of the code that queued the work.
      [this] { wait_device(); }};
  // Freed blocks wait for their stream up to a quarter of the GPU's memory before the host waits.
  allocator_ = std::make_unique<StreamAllocator>(*this, std::move(system), static_cast<int64_t>(total_bytes / 4),
                                                 /*reuse_on_same_stream=*/true);
  gemm_ = std::make_unique<GemmEngine>(*this);
  conv_ = std::make_unique<ConvEngine>(*this);
  softmax_ = std::make_unique<SoftmaxEngine>();
}

CudaBackend::~CudaBackend() = default;

void CudaBackend::activate() const { cuda::activate(index_); }

cudaStream_t CudaBackend::queue() {
  activate();
  StreamPtr s = current_stream();
  return static_cast<CudaStream&>(*s).handle();
}

// ---------------------------------------------------------------- memory and streams

std::shared_ptr<float> CudaBackend::allocate(int64_t count) { return allocator_->allocate(std::max<int64_t>(count, 1)); }

void CudaBackend::release_cached() {
  synchronize();
  allocator_->release_cached();
  std::lock_guard<std::mutex> lock(staging_mutex_);
  for (auto& [size, blocks] : staging_free_)
    for (void* p : blocks) cudaFreeHost(p);
  staging_free_.clear();
}

void CudaBackend::copy_bytes(const void* src, void* dst, size_t n) {
  if (n == 0 || src == dst) return;
  NN_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, queue()));
}

void CudaBackend::copy_bytes_to_host(const void* src, void* dst, size_t n) {
  if (n > 0) NN_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, queue()));
  current_stream()->synchronize();  // raises what the device recorded
}

void CudaBackend::copy_bytes_from_host(const void* src, void* dst, size_t n) {
  if (n == 0) return;
  cudaStream_t s = queue();
  cudaPointerAttributes attributes{};
  const bool page_locked = cudaPointerGetAttributes(&attributes, src) == cudaSuccess &&
                           attributes.type == cudaMemoryTypeHost;
  (void)cudaGetLastError();  // a plain host pointer is not an error
  if (page_locked || n > kStagedCopyBytes) {
    // From staging memory (host_staging) the copy runs asynchronously and the caller keeps src until
    // an event passes; from large pageable memory the call returns once src has been read.
    NN_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, s));
    return;
  }
  // A small copy from pageable memory (an index batch, a scalar) would make the driver wait for the
  // stream first: it goes through cached page-locked memory instead, kept until the copy has run, so
  // the host does not wait for the device.
  std::shared_ptr<void> staging = host_staging(n);
  std::memcpy(staging.get(), src, n);
  NN_CUDA_CHECK(cudaMemcpyAsync(dst, staging.get(), n, cudaMemcpyHostToDevice, s));
  Event copied(current_stream());
  std::lock_guard<std::mutex> lock(uploads_mutex_);
  size_t kept = 0;
  for (size_t i = 0; i < uploads_.size(); ++i) {
    bool passed = false;
    try {
      passed = uploads_[i].copied.query();
    } catch (...) {  // a device fault: the next wait reports it; the buffer stays held
    }
    if (passed) continue;
    if (kept != i) uploads_[kept] = std::move(uploads_[i]);
    ++kept;
  }
  uploads_.resize(kept);
  uploads_.push_back({std::move(staging), std::move(copied)});
}

void CudaBackend::fill(float* y, float value, int64_t n) { cuda::fill(queue(), y, value, n); }

StreamPtr CudaBackend::new_stream() {
  auto s = std::make_shared<CudaStream>(device(), [this](const CudaStream* w) { raise_recorded_errors(w); });
  std::lock_guard<std::mutex> lock(streams_mutex_);
  streams_.erase(std::remove_if(streams_.begin(), streams_.end(), [](const auto& w) { return w.expired(); }),
                 streams_.end());
  streams_.push_back(s);
  return s;
}

void CudaBackend::wait_device() {
  std::vector<std::pair<std::shared_ptr<CudaStream>, uint64_t>> marks{{default_stream_, default_stream_->recorded()}};
  {
    std::lock_guard<std::mutex> lock(streams_mutex_);
    for (const auto& w : streams_)
      if (auto s = w.lock()) marks.emplace_back(s, s->recorded());
  }
  activate();
  NN_CUDA_CHECK(cudaDeviceSynchronize());
  for (auto& [s, upto] : marks) s->mark_passed(upto);
}

void CudaBackend::synchronize() {
  wait_device();
  raise_recorded_errors(nullptr);
}

std::shared_ptr<void> CudaBackend::host_staging(size_t bytes) {
  const size_t size = std::max<size_t>(bytes, 64);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(staging_mutex_);
    auto it = staging_free_.find(size);
    if (it != staging_free_.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    }
  }
  if (!p) {
    activate();
    NN_CUDA_CHECK(cudaHostAlloc(&p, size, cudaHostAllocPortable));
  }
  // Returned to the cache when the caller lets go (after its copy's event has passed).
  return std::shared_ptr<void>(p, [this, size](void* q) noexcept {
    try {
      std::lock_guard<std::mutex> lock(staging_mutex_);
      staging_free_[size].push_back(q);
    } catch (...) {  // no room to cache it: give it back
      cudaFreeHost(q);
    }
  });
}

// ---------------------------------------------------------------- element types and labels

void CudaBackend::convert(const void* src, DType from, void* dst, DType to, int64_t n) {
  if (from == to) {
    copy_bytes(src, dst, static_cast<size_t>(n) * element_size(from));
    return;
  }
  cuda::convert(queue(), src, from, dst, to, n);
}

// ---------------------------------------------------------------- dense linear algebra

void CudaBackend::gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                       int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_->run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nullptr, Epilogue::None);
}

void CudaBackend::linear(const float* x, const float* w, const float* bias, Epilogue act, float* y, int64_t m,
                         int64_t n, int64_t k) {
  gemm_->run(false, false, m, n, k, 1.0f, x, k, w, n, 0.0f, y, n, bias, act);
}

void CudaBackend::axpy(int64_t n, float alpha, const float* x, float* y) { cuda::axpy(queue(), n, alpha, x, y); }

void CudaBackend::scale(int64_t n, float alpha, const float* x, float* y) { cuda::scale(queue(), n, alpha, x, y); }

// ---------------------------------------------------------------- elementwise

void CudaBackend::unary(UnaryOp op, float alpha, const float* x, float* y, int64_t n) {
  cuda::unary(queue(), op, alpha, x, y, n);
}

void CudaBackend::unary_backward(UnaryOp op, float alpha, const float* x, const float* y, const float* dy, float* dx,
                                 int64_t n) {
  cuda::unary_backward(queue(), op, alpha, x, y, dy, dx, n);
}

namespace {
std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}
void check_rank(const Shape& s, const char* what) {
  if (s.size() > static_cast<size_t>(kMaxDims))
    throw std::invalid_argument(fmt::format("{} on cuda: shape {} has more than {} dims", what, to_string(s), kMaxDims));
}
}  // namespace

void CudaBackend::binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
                         float* out, const Shape& out_shape) {
  const int64_t n = nn::numel(out_shape);
  const bool same = a_shape == out_shape && b_shape == out_shape;
  const bool a_scalar = nn::numel(a_shape) == 1 && b_shape == out_shape;
  const bool b_scalar = nn::numel(b_shape) == 1 && a_shape == out_shape;
  BroadcastIndex ix;
  if (!same && !a_scalar && !b_scalar) {
    check_rank(out_shape, "binary");
    ix.rank = static_cast<int>(out_shape.size());
    const auto fill_strides = [&](const Shape& s, int64_t* dst) {
      const std::vector<int64_t> st = strides_of(s);
      const int offset = ix.rank - static_cast<int>(s.size());
      for (int d = 0; d < ix.rank; ++d) {
        const int sd = d - offset;
        dst[d] = sd < 0 || s[static_cast<size_t>(sd)] == 1 ? 0 : st[static_cast<size_t>(sd)];
      }
    };
    for (int d = 0; d < ix.rank; ++d) ix.out_dims[d] = out_shape[static_cast<size_t>(d)];
    fill_strides(a_shape, ix.a_strides);
    fill_strides(b_shape, ix.b_strides);
  }
  cuda::binary(queue(), op, a, b, out, n, ix, a_scalar && !same, b_scalar && !same && !a_scalar, same);
}

void CudaBackend::reduce_to_shape(const float* src, const Shape& src_shape, float* dst, const Shape& dst_shape) {
  const int64_t n = nn::numel(src_shape), m = nn::numel(dst_shape);
  if (n == m) {  // the same elements in the same order (at most unit dims differ)
    copy(src, dst, n);
    return;
  }
  if (dst_shape.size() > src_shape.size()) throw std::invalid_argument("reduce_to_shape: target has more dims");
  check_rank(src_shape, "reduce_to_shape");
  Shape padded(src_shape.size() - dst_shape.size(), 1);
  padded.insert(padded.end(), dst_shape.begin(), dst_shape.end());
  const std::vector<int64_t> st = strides_of(src_shape);
  ReduceIndex ix;
  for (size_t d = 0; d < src_shape.size(); ++d) {
    if (padded[d] == 1 && src_shape[d] != 1) {
      ix.reduced_dims[ix.reduced_rank] = src_shape[d];
      ix.reduced_strides[ix.reduced_rank++] = st[d];
      ix.reduced_count *= src_shape[d];
    } else {
      ix.kept_dims[ix.kept_rank] = src_shape[d];
      ix.kept_strides[ix.kept_rank++] = st[d];
    }
  }
  if (m == 0) return;
  if (n == 0) {
    fill(dst, 0.0f, m);
    return;
  }
  cuda::reduce(queue(), src, dst, m, ix);
}

void CudaBackend::bias_activation(float* y, const float* bias, int64_t outer, int64_t channels, int64_t inner,
                                  Epilogue act) {
  cuda::bias_activation(queue(), y, bias, outer, channels, inner, act);
}

void CudaBackend::bias_activation_backward(const float* y, const float* dy, float* dz, float* db, int64_t outer,
                                           int64_t channels, int64_t inner, Epilogue act) {
  cuda::bias_activation_backward(queue(), y, dy, dz, db, outer, channels, inner, act);
}

void CudaBackend::sum(const float* x, float* out, int64_t n) { cuda::sum(queue(), x, out, n); }

void CudaBackend::permute(const float* x, const Shape& x_shape, const std::vector<int>& axes, float* y) {
  // Declined (supports(): the ops run it on host copies); here for completeness, the same way.
  const int64_t n = nn::numel(x_shape);
  std::vector<float> hx(static_cast<size_t>(n)), hy(static_cast<size_t>(n));
  copy_to_host(x, hx.data(), n);
  backend_for(Device::cpu()).permute(hx.data(), x_shape, axes, hy.data());
  copy_from_host(hy.data(), y, n);
}

void CudaBackend::argmax(const float* x, int64_t* out, int64_t outer, int64_t n, int64_t inner) {
  cuda::argmax(queue(), x, out, outer, n, inner);
}

void CudaBackend::top_k(const float* x, float* values, int64_t* indices, int64_t rows, int64_t cols, int64_t k) {
  std::vector<float> hx(static_cast<size_t>(rows * cols)), hv(static_cast<size_t>(rows * k));
  std::vector<int64_t> hi(static_cast<size_t>(rows * k));
  copy_to_host(x, hx.data(), rows * cols);
  backend_for(Device::cpu()).top_k(hx.data(), hv.data(), hi.data(), rows, cols, k);
  copy_from_host(hv.data(), values, rows * k);
  copy_bytes_from_host(hi.data(), indices, hi.size() * sizeof(int64_t));
}

void CudaBackend::gather_rows(const void* src, int64_t src_rows, const int64_t* index, void* dst, int64_t count, int64_t row_bytes) {
  cuda::gather_rows(queue(), src, src_rows, index, dst, count, row_bytes);
}

void CudaBackend::clip(const float* x, float* y, int64_t n, float lo, float hi) { cuda::clip(queue(), x, y, n, lo, hi); }

void CudaBackend::clip_backward(const float* x, const float* dy, float* dx, int64_t n, float lo, float hi) {
  cuda::clip_backward(queue(), x, dy, dx, n, lo, hi);
}

void CudaBackend::one_hot(const int64_t* labels, float* out, int64_t rows, int64_t cols) {
  cuda::one_hot(queue(), labels, out, rows, cols);
}

// ---------------------------------------------------------------- softmax family

void CudaBackend::softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  softmax_->forward(queue(), x, y, rows, cols, log);
}

void CudaBackend::softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool log) {
  softmax_->backward(queue(), y, dy, dx, rows, cols, log);
}

void CudaBackend::softmax_cross_entropy(const float* logits, const float* targets, const int64_t* labels,
                                        float* probs, float* loss, int64_t rows, int64_t cols) {
  cuda::softmax_cross_entropy(queue(), logits, targets, labels, probs, loss, rows, cols);
}

void CudaBackend::softmax_cross_entropy_backward(const float* probs, const float* targets, const int64_t* labels,
                                                 const float* scale, float* dlogits, int64_t rows, int64_t cols) {
  cuda::softmax_cross_entropy_backward(queue(), probs, targets, labels, scale, dlogits, rows, cols);
}

// ---------------------------------------------------------------- convolution and pooling

std::shared_ptr<KernelPlan> CudaBackend::plan_conv2d(const Conv2DParams& p) { return conv_->plan(p); }

void CudaBackend::conv2d_forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                                 const float* bias, Epilogue act, float* y) {
  conv_->forward(plan, p, x, w, bias, act, y);
}

void CudaBackend::conv2d_backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                                  const float* y, const float* dy, Epilogue act, float* dx, float* dw, float* db) {
  conv_->backward(plan, p, x, w, y, dy, act, dx, dw, db);
}

void CudaBackend::max_pool2d_forward(const Pool2DParams& p, const float* x, float* y, int32_t* argmax) {
  cuda::max_pool2d_forward(queue(), p, x, y, argmax);
}

void CudaBackend::max_pool2d_backward(const Pool2DParams& p, const float* dy, const int32_t* argmax, float* dx) {
  cuda::max_pool2d_backward(queue(), p, dy, argmax, dx);
}

void CudaBackend::avg_pool2d_forward(const Pool2DParams& p, const float* x, float* y) {
  cuda::avg_pool2d_forward(queue(), p, x, y);
}

void CudaBackend::avg_pool2d_backward(const Pool2DParams& p, const float* dy, float* dx) {
  cuda::avg_pool2d_backward(queue(), p, dy, dx);
}

// ---------------------------------------------------------------- batch normalization

void CudaBackend::batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y, float* mean,
                                     float* var, float* inv_std, int64_t outer, int64_t channels, int64_t inner,
                                     float epsilon) {
  cuda::batch_norm_forward(queue(), x, gamma, beta, y, mean, var, inv_std, outer, channels, inner, epsilon);
}

void CudaBackend::batch_norm_inference(const float* x, const float* gamma, const float* beta, const float* mean,
                                       const float* var, float* y, float* inv_std, int64_t outer, int64_t channels,
                                       int64_t inner, float epsilon) {
  cuda::batch_norm_inference(queue(), x, gamma, beta, mean, var, y, inv_std, outer, channels, inner, epsilon);
}

void CudaBackend::batch_norm_backward(const float* x, const float* gamma, const float* mean, const float* inv_std,
                                      const float* dy, float* dx, float* dgamma, float* dbeta, int64_t outer,
                                      int64_t channels, int64_t inner, bool batch_stats) {
  cuda::batch_norm_backward(queue(), x, gamma, mean, inv_std, dy, dx, dgamma, dbeta, outer, channels, inner,
                            batch_stats);
}

// ---------------------------------------------------------------- randomness, metrics, optimizers

void CudaBackend::dropout(const float* x, float* y, float* mask, int64_t n, float rate, uint64_t seed,
                          uint64_t offset) {
  cuda::dropout(queue(), x, y, mask, n, rate, seed, offset);
}

void CudaBackend::count_correct(const float* scores, const float* targets, const int64_t* labels, int64_t* total,
                                int64_t rows, int64_t cols, int64_t k) {
  cuda::count_correct(queue(), scores, targets, labels, total, rows, cols, k);
}

void CudaBackend::sgd_update(const SgdParams& p, float* w, const float* g, float* velocity, int64_t n) {
  cuda::sgd_update(queue(), p, w, g, velocity, n);
}

void CudaBackend::adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v, int64_t n) {
  cuda::adam_update(queue(), p, w, g, m, v, n);
}

void CudaBackend::rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g, float* mom,
                                 int64_t n) {
  cuda::rmsprop_update(queue(), p, w, g, v, avg_g, mom, n);
}

void CudaBackend::adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) {
  cuda::adagrad_update(queue(), p, w, g, acc, n);
}

}  // namespace nn::detail::cuda
