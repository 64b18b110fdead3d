#pragma once
// Backend: the few kernels that need a vendor library or device code. Ops (nn/ops) are written
// once against this interface; a backend is one implementation of it (src/backend/<name>/)
// registered in src/backend/registry.cpp. All pointers are device pointers of the backend's
// device; shapes are passed explicitly, row-major, and documented per kernel.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/device.hpp"
#include "nn/dtype.hpp"
#include "nn/shape.hpp"

namespace nn {

// Elementwise functions. The activations follow Keras's definitions; `alpha` is the slope of
// LeakyRelu and the scale of Elu (unused by the others).
enum class UnaryOp {
  Relu, Sigmoid, Tanh, Exp, Log, Neg, Square, Sqrt, Abs,
  Relu6,        // min(max(x, 0), 6)
  LeakyRelu,    // x > 0 ? x : alpha x
  Elu,          // x > 0 ? x : alpha (e^x - 1)
  Selu,         // scale * elu(x, 1.67326...), scale 1.05070...
  Gelu,         // x Phi(x), the exact (erf) form, Keras's default
  Softplus,     // log(1 + e^x)
  Softsign,     // x / (1 + |x|)
  Silu,         // x sigmoid(x) (swish)
  HardSigmoid,  // relu6(x + 3) / 6
  HardSilu,     // x hard_sigmoid(x) (hard_swish)
  Mish,         // x tanh(softplus(x))
  LogSigmoid,   // -softplus(-x)
};
enum class BinaryOp { Add, Sub, Mul, Div };

// An activation a kernel applies to its own output in the same pass. Only activations whose
// derivative is a function of their output, so the backward pass needs y = act(z) alone:
// relu' = (y > 0), sigmoid' = y (1 - y), tanh' = 1 - y². Others run as a separate op.
enum class Epilogue { None, Relu, Sigmoid, Tanh };

// Kernel state a backend keeps for one layer's geometry between calls: the algorithm it chose,
// the index tables it precomputed, its workspace (cuDNN: the algorithm and its workspace size).
// Made once by the backend that runs it (plan_conv2d), reused every step, valid for any batch size
// of that geometry, and safe to use from several threads at once (the backend guards its scratch).
class KernelPlan {
 public:
  virtual ~KernelPlan() = default;
  // The kernels the plan runs, in words (e.g. "oneDNN jit:avx512_core"), for logs and benchmarks.
  virtual std::string describe() const = 0;
};

// 2-d convolution / pooling geometry, NCHW. Padding may differ per side ('same' with an even
// kernel pads one more at the bottom/right, as TensorFlow does).
struct Conv2DParams {
  int64_t n = 0, c = 0, h = 0, w = 0;      // input  x: (n, c, h, w)
  int64_t k = 0, kh = 0, kw = 0;           // weight w: (k, c, kh, kw)
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t out_h() const { return (h + pad_top + pad_bottom - kh) / stride_h + 1; }
  int64_t out_w() const { return (w + pad_left + pad_right - kw) / stride_w + 1; }
  // Everything but the batch size agrees (what a plan depends on).
  bool same_geometry(const Conv2DParams& o) const {
    return c == o.c && h == o.h && w == o.w && k == o.k && kh == o.kh && kw == o.kw && stride_h == o.stride_h &&
           stride_w == o.stride_w && pad_top == o.pad_top && pad_bottom == o.pad_bottom &&
           pad_left == o.pad_left && pad_right == o.pad_right;
  }
};

struct Pool2DParams {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input x: (n, c, h, w)
  int64_t kh = 2, kw = 2, stride_h = 2, stride_w = 2;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t out_h() const { return (h + pad_top + pad_bottom - kh) / stride_h + 1; }
  int64_t out_w() const { return (w + pad_left + pad_right - kw) / stride_w + 1; }
};

struct AdamParams {
  float lr, beta1, beta2, epsilon;
  float weight_decay;            // L2: added to the gradient
  float decoupled_weight_decay;  // AdamW: w -= lr * this * w before the update
  int64_t step;                  // 1-based step number used for bias correction
  bool pytorch_epsilon;          // epsilon after the bias correction (AdamEpsilon::PyTorch)
};

struct RmspropParams {
  float lr, rho, momentum, epsilon;
  bool centered;
};

struct AdagradParams {
  float lr, epsilon;
};

struct SgdParams {
  float lr, momentum, weight_decay;
  bool nesterov;
};

// Kernels a backend may decline (Backend::supports returns false): the ops then run the CPU
// backend's kernel on host copies of the operands and copy the results back (nn/ops use
// run_kernel, src/backend/fallback.hpp). So a new backend can start with the kernels that
// matter for speed; every kernel not listed here is required.
// ImageTransform: the image ops (nn/ops/image_transform.hpp), host code over the operands.
enum class Kernel { Argmax, TopK, OneHot, CountCorrect, Permute, ImageTransform };

// What a backend's allocator has asked of the system (for tests and benchmarks: a steady
// training loop makes no new system allocations).
struct MemoryStats {
  int64_t system_allocations = 0;  // blocks obtained from the system since the process started
  int64_t system_bytes = 0;        // bytes held from the system now (in use or cached)
  int64_t cached_bytes = 0;        // of which cached for reuse
};

// ---- the execution model ----
// A stream is a queue of work on one device: kernels and copies run in the order they were
// queued on it, and the host goes on while they run (a CUDA stream). Every device has a default
// stream; a thread may make another one current with StreamGuard (the server's batcher runs on
// its own). The CPU's streams are synchronous: work is done when its call returns.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual Device device() const = 0;
  // A marker after the work queued so far (an event's position).
  virtual uint64_t record() = 0;
  // Whether the stream has run everything queued before `position`.
  virtual bool passed(uint64_t position) const = 0;
  // The host waits until the stream has run everything queued before `position` / so far.
  virtual void wait_until(uint64_t position) = 0;
  virtual void synchronize() { wait_until(record()); }
  // Work queued on this stream from now on starts after `event` (cudaStreamWaitEvent).
  virtual void wait_for(const class Event& event) = 0;
};
using StreamPtr = std::shared_ptr<Stream>;

// A point in a stream's work: recorded after what is queued now; query() says whether the
// stream has passed it, synchronize() waits until it has (cudaEvent).
class Event {
 public:
  Event() = default;
  explicit Event(StreamPtr stream) : stream_(std::move(stream)), position_(stream_->record()) {}
  bool query() const { return !stream_ || stream_->passed(position_); }
  void synchronize() const {
    if (stream_) stream_->wait_until(position_);
  }
  // The stream and position it marks (null for an event of nothing: already passed).
  const StreamPtr& stream() const { return stream_; }
  uint64_t position() const { return position_; }

 private:
  StreamPtr stream_;
  uint64_t position_ = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;  // for messages, e.g. "cpu (OpenBLAS SkylakeX)"
  // Whether this backend runs `kernel` itself (else the CPU backend runs it on host copies).
  virtual bool supports(Kernel kernel) const {
    (void)kernel;
    return true;
  }

  // ---- memory (a caching allocator: freed blocks are kept for reuse) ----
  virtual std::shared_ptr<float> allocate(int64_t count) = 0;  // uninitialised floats
  virtual void release_cached() = 0;                            // give cached blocks back
  virtual MemoryStats memory_stats() const = 0;
  // Bytes, for tensors of any dtype: device -> device, device -> host, host -> device.
  virtual void copy_bytes(const void* src, void* dst, size_t n) = 0;
  virtual void copy_bytes_to_host(const void* src, void* dst, size_t n) = 0;
  virtual void copy_bytes_from_host(const void* src, void* dst, size_t n) = 0;
  virtual void copy(const float* src, float* dst, int64_t n) = 0;          // device -> device
  virtual void copy_to_host(const float* src, float* dst, int64_t n) = 0;  // device -> host
  virtual void copy_from_host(const float* src, float* dst, int64_t n) = 0;
  virtual void fill(float* y, float value, int64_t n) = 0;

  // ---- streams (see Stream above) ----
  virtual StreamPtr default_stream() = 0;
  virtual StreamPtr new_stream() = 0;
  // The calling thread's current stream on this device (StreamGuard), else the default one.
  // Kernels and copies are queued on it; copies to the host synchronize it first.
  StreamPtr current_stream();
  // Waits for all work queued on every stream of the device (cudaDeviceSynchronize).
  virtual void synchronize() = 0;
  // Host memory to stage copies to this device from: page-locked where the device copies from
  // such memory asynchronously (cudaHostAlloc), plain host memory otherwise (this default). Keep
  // it until an event recorded after the copy has passed.
  virtual std::shared_ptr<void> host_staging(size_t bytes);

  // ---- element types and labels ----
  // dst(n) = src(n) converted between dtypes by Tensor::to(DType)'s rules.
  virtual void convert(const void* src, DType from, void* dst, DType to, int64_t n) = 0;
  // Checks that labels(n) of `dtype` are class indices: integral values in [0, classes). A bad one
  // is std::out_of_range("<what>: label 1.5 of row 3 is not a class index in [0, 10)"), thrown at
  // once by the CPU; a device whose kernels cannot throw records the first and throws it at the
  // next synchronization (a copy to the host, synchronize(), an event's synchronize()).
  virtual void check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                                  const std::string& what) = 0;

  // ---- dense linear algebra ----
  // C(m, n) = alpha * op(A) op(B) + beta * C, row-major; op(A): (m, k), op(B): (k, n).
  virtual void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                    int64_t ldc) = 0;
  // y(m, n) = act(x(m, k) w(k, n) + bias(n)), a dense layer's forward pass; bias may be null. The
  // default runs gemm, then bias_activation; a backend may fuse them (cuBLASLt's epilogue).
  virtual void linear(const float* x, const float* w, const float* bias, Epilogue act, float* y, int64_t m,
                      int64_t n, int64_t k);
  // Whether gemm, linear and the convolutions can compute in `dtype` inside an Autocast scope
  // (bfloat16 mixed precision, nn/precision.hpp). float32 always; the CPU backend nothing else.
  virtual bool computes_in(DType dtype) const { return dtype == kFloat32; }
  // y += alpha * x
  virtual void axpy(int64_t n, float alpha, const float* x, float* y) = 0;
  // y = alpha * x (y may alias x)
  virtual void scale(int64_t n, float alpha, const float* x, float* y) = 0;

  // ---- elementwise ----
  virtual void unary(UnaryOp op, float alpha, const float* x, float* y, int64_t n) = 0;
  // dx = dy * op'(x), given x and y = op(x) (each op uses whichever is cheaper).
  virtual void unary_backward(UnaryOp op, float alpha, const float* x, const float* y, const float* dy,
                              float* dx, int64_t n) = 0;
  // out = a (op) b with NumPy broadcasting, broadcast further to out_shape (which must be
  // broadcast_shapes(a_shape, b_shape) or a shape that one broadcasts to).
  virtual void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b,
                      const Shape& b_shape, float* out, const Shape& out_shape) = 0;
  // dst = sum of src over the dimensions in which dst_shape was broadcast to src_shape.
  virtual void reduce_to_shape(const float* src, const Shape& src_shape, float* dst,
                               const Shape& dst_shape) = 0;
  // y(outer, channels, inner) = act(y + bias(channels)); bias may be null (none).
  virtual void bias_activation(float* y, const float* bias, int64_t outer, int64_t channels,
                               int64_t inner, Epilogue act) = 0;
  // Its gradient, given y = act(z) and dy: dz = dy act'(y) (dz may alias dy; with act None dz
  // may be null and y is not read), db(channels) = sum of dz over outer and inner (db may be null).
  virtual void bias_activation_backward(const float* y, const float* dy, float* dz, float* db,
                                        int64_t outer, int64_t channels, int64_t inner,
                                        Epilogue act) = 0;
  // out(1) = sum of x(n)
  virtual void sum(const float* x, float* out, int64_t n) = 0;
  // y = x with its axes reordered: y's axis i is x's axis axes[i] (numpy.transpose).
  virtual void permute(const float* x, const Shape& x_shape, const std::vector<int>& axes, float* y) = 0;
  // out(outer, inner) = index of the maximum of x(outer, n, inner) along n (first on ties; NaN
  // wins).
  virtual void argmax(const float* x, int64_t* out, int64_t outer, int64_t n, int64_t inner) = 0;
  // The k largest of each row of x(rows, cols), in descending order (ties: lower index first):
  // values(rows, k), indices(rows, k).
  virtual void top_k(const float* x, float* values, int64_t* indices, int64_t rows, int64_t cols, int64_t k) = 0;
  // dst row i = src row index[i], for count rows of row_bytes bytes (any dtype) from src(src_rows).
  // The indices are checked by check_class_labels first (index_select); a row whose index is out of
  // range (raised at the next synchronization on a device) is zeros, never read.
  virtual void gather_rows(const void* src, int64_t src_rows, const int64_t* index, void* dst, int64_t count, int64_t row_bytes) = 0;
  // y = min(max(x, lo), hi); backward: dx = dy where lo < x < hi, else 0.
  virtual void clip(const float* x, float* y, int64_t n, float lo, float hi) = 0;
  virtual void clip_backward(const float* x, const float* dy, float* dx, int64_t n, float lo,
                             float hi) = 0;
  // out(rows, cols) = one-hot rows of labels(rows). Labels in [0, cols) (the ops check them on
  // the host first: no kernel throws).
  virtual void one_hot(const int64_t* labels, float* out, int64_t rows, int64_t cols) = 0;

  // ---- softmax family, over the last axis of x: (rows, cols) ----
  virtual void softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) = 0;
  // dx = softmax'/log_softmax' applied to dy, given y = softmax(x) or log_softmax(x).
  virtual void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows,
                                int64_t cols, bool log) = 0;
  // Cross-entropy from logits(rows, cols) against class labels(rows) in [0, cols) when labels is
  // given, else against target distributions(rows, cols). Writes probs(rows, cols) =
  // softmax(logits) and loss(rows).
  virtual void softmax_cross_entropy(const float* logits, const float* targets, const int64_t* labels,
                                     float* probs, float* loss, int64_t rows, int64_t cols) = 0;
  // dlogits = scale[0] * (probs - targets); scale is a device scalar (dloss * 1/N).
  virtual void softmax_cross_entropy_backward(const float* probs, const float* targets, const int64_t* labels,
                                              const float* scale, float* dlogits, int64_t rows, int64_t cols) = 0;

  // ---- convolution and pooling, NCHW ----
  // The plan for convolutions of p's geometry (p.n is not part of it).
  virtual std::shared_ptr<KernelPlan> plan_conv2d(const Conv2DParams& p) = 0;
  // y(n, k, oh, ow) = act(conv(x(n, c, h, w), w(k, c, kh, kw)) + bias(k)); bias may be null.
  // `plan` is this backend's plan_conv2d for p's geometry.
  virtual void conv2d_forward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                              const float* bias, Epilogue act, float* y) = 0;
  // Gradients given the forward output y (read only when act is not None) and dy. Any of dx, dw,
  // db may be null (not wanted); each is overwritten.
  virtual void conv2d_backward(KernelPlan& plan, const Conv2DParams& p, const float* x, const float* w,
                               const float* y, const float* dy, Epilogue act, float* dx, float* dw,
                               float* db) = 0;
  // y(n, c, oh, ow) = max over each window; argmax(n, c, oh, ow) = flat index into h*w of the
  // winner (padding never wins).
  virtual void max_pool2d_forward(const Pool2DParams& p, const float* x, float* y,
                                  int32_t* argmax) = 0;
  // dx = scatter of dy to the argmax positions (0 elsewhere).
  virtual void max_pool2d_backward(const Pool2DParams& p, const float* dy, const int32_t* argmax,
                                   float* dx) = 0;
  // y(n, c, oh, ow) = the mean of each window's cells inside the input (padding is not counted,
  // as in TensorFlow's average pooling).
  virtual void avg_pool2d_forward(const Pool2DParams& p, const float* x, float* y) = 0;
  // dx = each window's dy spread evenly over its cells inside the input.
  virtual void avg_pool2d_backward(const Pool2DParams& p, const float* dy, float* dx) = 0;

  // ---- batch normalization of x(outer, channels, inner), statistics per channel ----
  // Training: mean(c) and var(c) (biased) over outer and inner, inv_std(c) = 1/sqrt(var + eps),
  // y = gamma (x - mean) inv_std + beta. gamma or beta may be null (taken as 1 and 0).
  virtual void batch_norm_forward(const float* x, const float* gamma, const float* beta, float* y,
                                  float* mean, float* var, float* inv_std, int64_t outer,
                                  int64_t channels, int64_t inner, float epsilon) = 0;
  // Inference with given statistics: y = gamma (x - mean) inv_std + beta, and inv_std(c) =
  // 1/sqrt(var + eps) written for the backward pass.
  virtual void batch_norm_inference(const float* x, const float* gamma, const float* beta,
                                    const float* mean, const float* var, float* y, float* inv_std,
                                    int64_t outer, int64_t channels, int64_t inner, float epsilon) = 0;
  // Gradients; any of dx, dgamma, dbeta may be null (not wanted). With xhat = (x - mean) inv_std:
  // dgamma = sum(dy xhat), dbeta = sum(dy); dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat))
  // when the statistics were the batch's own (batch_stats), else dx = gamma inv_std dy.
  virtual void batch_norm_backward(const float* x, const float* gamma, const float* mean,
                                   const float* inv_std, const float* dy, float* dx, float* dgamma,
                                   float* dbeta, int64_t outer, int64_t channels, int64_t inner,
                                   bool batch_stats) = 0;

  // ---- randomness ----
  // mask[i] = (uniform(seed, offset + i) >= rate) / (1 - rate); y = x * mask.
  // Counter-based, so every backend draws the same mask for the same (seed, offset).
  virtual void dropout(const float* x, float* y, float* mask, int64_t n, float rate,
                       uint64_t seed, uint64_t offset) = 0;

  // ---- metrics ----
  // total(1) += number of rows whose true class (labels(rows), when given, else the argmax of
  // targets(rows, cols)) is among the k highest scores (ties: the lower class first, as top_k; k = 1:
  // the argmax). A running count on the device: the metric reads it when asked.
  virtual void count_correct(const float* scores, const float* targets, const int64_t* labels, int64_t* total,
                             int64_t rows, int64_t cols, int64_t k) = 0;

  // ---- optimizers (fused, in place) ----
  // Keras SGD: v = momentum*v - lr*g; w += v (nesterov: w += momentum*v - lr*g);
  // weight decay adds weight_decay*w to g first. velocity may be null when momentum is 0.
  virtual void sgd_update(const SgdParams& p, float* w, const float* g, float* velocity,
                          int64_t n) = 0;
  // Keras Adam: m += (g-m)(1-b1); v += (g²-v)(1-b2); w -= lr_t m / (sqrt(v) + eps_t),
  // lr_t = lr sqrt(1-b2^t)/(1-b1^t), eps_t = eps (Keras) or eps sqrt(1-b2^t) (PyTorch).
  virtual void adam_update(const AdamParams& p, float* w, const float* g, float* m, float* v,
                           int64_t n) = 0;
  // Keras RMSprop (nn/optim/rmsprop.hpp); avg_g is used when centered, mom when momentum > 0.
  virtual void rmsprop_update(const RmspropParams& p, float* w, const float* g, float* v, float* avg_g,
                              float* mom, int64_t n) = 0;
  // Keras Adagrad: acc += g²; w -= lr g / sqrt(acc + eps).
  virtual void adagrad_update(const AdagradParams& p, float* w, const float* g, float* acc, int64_t n) = 0;
};

// Makes `stream` the calling thread's current stream on its device until the guard goes (the
// previous one then returns), as c10::cuda::CUDAStreamGuard.
class StreamGuard {
 public:
  explicit StreamGuard(StreamPtr stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  Device device_;
  StreamPtr previous_;
};

// The backend for a device: the CPU backend always, others where compiled in and present.
// Throws std::runtime_error naming the device and listing the devices there are when it has none.
Backend& backend_for(Device device);
bool device_available(Device device);
// The devices this build and machine offer, in order ("cpu", then "cuda:0", ...): what the tools'
// --device accepts. (The test suite's strict device, Device::test(), is not listed.)
std::vector<Device> devices();

// Testing aid: when on, every new allocation is filled with NaN, so a kernel that leaves part
// of its output (or a gradient) unwritten cannot pass a numerical check.
void set_poison_memory(bool on);
bool poison_memory();

// Threads used by the CPU backend: NN_NUM_THREADS when set, else available_cpus(). set_num_threads
// throws std::invalid_argument outside [1, kMaxThreads] and std::runtime_error when the threads
// cannot be started (the previous pool then stays in use).
inline constexpr int kMaxThreads = 1024;
void set_num_threads(int n);
int num_threads();

// The CPUs this process may run on: its affinity mask, bounded by its cgroup's CPU quota.
int available_cpus();

}  // namespace nn
