#include "cuda_conv.hpp"

#include <map>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "cuda_kernels.hpp"
#include "nn/cuda.hpp"
#include "nn/precision.hpp"

namespace nn::detail::cuda {
namespace {

constexpr size_t kMaxWorkspace = size_t{512} << 20;  // algorithms needing more are passed over

void check_dnn(cudnnStatus_t s, const char* call) {
  if (s != CUDNN_STATUS_SUCCESS) throw CudaError(fmt::format("cudnn: {}: {}", call, cudnnGetErrorString(s)));
}
#define NN_DNN_CHECK(call) check_dnn((call), #call)

const char* const kFwdNames[] = {"implicit_gemm", "implicit_precomp_gemm", "gemm", "direct", "fft", "fft_tiling",
                                 "winograd", "winograd_nonfused"};
const char* const kBwdDataNames[] = {"algo_0", "algo_1", "fft", "fft_tiling", "winograd", "winograd_nonfused"};
const char* const kBwdFilterNames[] = {"algo_0", "algo_1", "fft", "algo_3", "winograd", "winograd_nonfused", "fft_tiling"};

template <size_t N>
const char* name_of(const char* const (&names)[N], int algo) {
  return algo >= 0 && static_cast<size_t>(algo) < N ? names[algo] : "?";
}

struct Algo {
  int algo = -1;
  size_t workspace = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

// The first usable result of a heuristic or a search (they come best first).
template <class Perf>
Algo pick(const Perf* perf, int count, const char* what) {
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kMaxWorkspace)
      return {static_cast<int>(perf[i].algo), perf[i].memory, perf[i].mathType};
  throw CudaError(fmt::format("cudnn: no {} algorithm for this convolution", what));
}

// One layer's cuDNN state.
class CudnnConvPlan : public KernelPlan {
 public:
  explicit CudnnConvPlan(const Conv2DParams& p) : geometry(p) {
    asymmetric = p.pad_top != p.pad_bottom || p.pad_left != p.pad_right;
    padded_h = p.h + (asymmetric ? p.pad_top + p.pad_bottom : 0);
    padded_w = p.w + (asymmetric ? p.pad_left + p.pad_right : 0);
    NN_DNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    NN_DNN_CHECK(cudnnSetConvolution2dDescriptor(conv, asymmetric ? 0 : static_cast<int>(p.pad_top),
                                                 asymmetric ? 0 : static_cast<int>(p.pad_left),
                                                 static_cast<int>(p.stride_h), static_cast<int>(p.stride_w), 1, 1,
                                                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    for (int i = 0; i < 2; ++i) {
      NN_DNN_CHECK(cudnnCreateFilterDescriptor(&filter[i]));
      NN_DNN_CHECK(cudnnSetFilter4dDescriptor(filter[i], i ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT,
                                              CUDNN_TENSOR_NCHW, static_cast<int>(p.k), static_cast<int>(p.c),
                                              static_cast<int>(p.kh), static_cast<int>(p.kw)));
    }
    NN_DNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    NN_DNN_CHECK(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, static_cast<int>(p.k), 1, 1));
    NN_DNN_CHECK(cudnnCreateActivationDescriptor(&relu));
    NN_DNN_CHECK(cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
  }
  ~CudnnConvPlan() override {
    for (auto& [key, s] : shapes) {
      cudnnDestroyTensorDescriptor(s.x);
      cudnnDestroyTensorDescriptor(s.y);
    }
    cudnnDestroyActivationDescriptor(relu);
    cudnnDestroyTensorDescriptor(bias);
    for (auto* f : filter) cudnnDestroyFilterDescriptor(f);
    cudnnDestroyConvolutionDescriptor(conv);
  }

  std::string describe() const override {
    std::lock_guard<std::mutex> lock(mutex);
    if (shapes.empty()) return "cuDNN (no algorithm chosen yet)";
    const Shapes& s = shapes.rbegin()->second;
    const auto math = [](cudnnMathType_t m) { return m == CUDNN_FMA_MATH ? "fma" : "tensor cores"; };
    return fmt::format("cuDNN fwd {} ({}), bwd-data {}, bwd-filter {}{}", name_of(kFwdNames, s.fwd.algo),
                       math(s.fwd.math), s.bwd_data.algo >= 0 ? name_of(kBwdDataNames, s.bwd_data.algo) : "-",
                       s.bwd_filter.algo >= 0 ? name_of(kBwdFilterNames, s.bwd_filter.algo) : "-",
                       nn::cuda::cudnn_benchmark() ? " (searched)" : " (heuristics)");
  }

  // The descriptors and algorithms for one batch size, precision and TF32 setting.
  struct Shapes {
    cudnnTensorDescriptor_t x = nullptr, y = nullptr;
    Algo fwd, bwd_data, bwd_filter;  // algo -1: not chosen yet
  };
  using Key = std::tuple<int64_t, bool, bool>;  // n, bfloat16, tf32

  Shapes& shapes_for(const Key& key) {
    auto it = shapes.find(key);
    if (it != shapes.end()) return it->second;
    const auto [n, bf16, tf32] = key;
    (void)tf32;
    Shapes s;
    const cudnnDataType_t t = bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    NN_DNN_CHECK(cudnnCreateTensorDescriptor(&s.x));
    NN_DNN_CHECK(cudnnSetTensor4dDescriptor(s.x, CUDNN_TENSOR_NCHW, t, static_cast<int>(n),
                                            static_cast<int>(geometry.c), static_cast<int>(padded_h),
                                            static_cast<int>(padded_w)));
    NN_DNN_CHECK(cudnnCreateTensorDescriptor(&s.y));
    NN_DNN_CHECK(cudnnSetTensor4dDescriptor(s.y, CUDNN_TENSOR_NCHW, t, static_cast<int>(n),
                                            static_cast<int>(geometry.k), static_cast<int>(geometry.out_h()),
                                            static_cast<int>(geometry.out_w())));
    return shapes.emplace(key, s).first->second;
  }

  Conv2DParams geometry;
  bool asymmetric = false;
  int64_t padded_h = 0, padded_w = 0;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnFilterDescriptor_t filter[2] = {nullptr, nullptr};  // float32, bfloat16
  cudnnTensorDescriptor_t bias = nullptr;
  cudnnActivationDescriptor_t relu = nullptr;
  bool fused_supported = true;  // cudnnConvolutionBiasActivationForward ran (or was not tried yet)
  mutable std::mutex mutex;
  std::map<Key, Shapes> shapes;
};

// Operands of one call as cuDNN takes them: padded where the padding is asymmetric, and in bfloat16
// inside an Autocast(kBFloat16) scope. Scratch blocks live until the call's end (stream order).
struct Operand {
  const void* ptr = nullptr;
  std::shared_ptr<float> keep;
};

}  // namespace

ConvEngine::ConvEngine(CudaBackend& backend) : backend_(backend) { NN_DNN_CHECK(cudnnCreate(&handle_)); }

ConvEngine::~ConvEngine() {
  if (handle_) cudnnDestroy(handle_);
}

std::shared_ptr<KernelPlan> ConvEngine::plan(const Conv2DParams& p) { return std::make_shared<CudnnConvPlan>(p); }

namespace {

// x (n, c, h, w) as the plan's input: padded to (padded_h, padded_w) if asymmetric, then bfloat16 if asked.
Operand input_operand(CudaBackend& be, cudaStream_t s, const CudnnConvPlan& plan, const Conv2DParams& p,
                      const float* x, bool bf16) {
  Operand out{x, nullptr};
  const float* src = x;
  std::shared_ptr<float> padded;
  const int64_t count = p.n * p.c * plan.padded_h * plan.padded_w;
  if (plan.asymmetric) {
    padded = be.scratch(static_cast<size_t>(count) * sizeof(float));
    pad2d(s, x, padded.get(), p.n * p.c, p.h, p.w, p.pad_top, p.pad_left, plan.padded_h, plan.padded_w);
    src = padded.get();
    out = {src, padded};
  }
  if (bf16) {
    auto half = be.scratch(static_cast<size_t>(count) * 2);
    convert(s, src, kFloat32, half.get(), kBFloat16, count);
    out = {half.get(), half};
  }
  return out;
}

Operand bf16_copy(CudaBackend& be, cudaStream_t s, const float* src, int64_t count) {
  auto half = be.scratch(static_cast<size_t>(count) * 2);
  convert(s, src, kFloat32, half.get(), kBFloat16, count);
  return {half.get(), half};
}

}  // namespace

void ConvEngine::forward(KernelPlan& base, const Conv2DParams& p, const float* x, const float* w, const float* bias,
                         Epilogue act, float* y) {
  auto& plan = static_cast<CudnnConvPlan&>(base);
  cudaStream_t s = backend_.queue();
  const bool bf16 = autocast_dtype() == kBFloat16;
  const bool tf32 = nn::cuda::allow_tf32_convolutions();
  const int64_t y_count = p.n * p.k * p.out_h() * p.out_w();
  const Operand xo = input_operand(backend_, s, plan, p, x, bf16);
  const Operand wo = bf16 ? bf16_copy(backend_, s, w, p.k * p.c * p.kh * p.kw) : Operand{w, nullptr};
  std::shared_ptr<float> y16 = bf16 ? backend_.scratch(static_cast<size_t>(y_count) * 2) : nullptr;
  void* yo = bf16 ? static_cast<void*>(y16.get()) : static_cast<void*>(y);

  std::lock_guard<std::mutex> lock(mutex_);
  std::lock_guard<std::mutex> plan_lock(plan.mutex);
  NN_DNN_CHECK(cudnnSetStream(handle_, s));
  CudnnConvPlan::Shapes& sh = plan.shapes_for({p.n, bf16, tf32});
  cudnnFilterDescriptor_t filter = plan.filter[bf16 ? 1 : 0];
  if (sh.fwd.algo < 0) {
    NN_DNN_CHECK(cudnnSetConvolutionMathType(plan.conv, tf32 || bf16 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    if (nn::cuda::cudnn_benchmark()) {
      auto ws = backend_.scratch(kMaxWorkspace);
      NN_DNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(handle_, sh.x, xo.ptr, filter, wo.ptr, plan.conv, sh.y, yo,
                                                          CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf, ws.get(),
                                                          kMaxWorkspace));
    } else {
      NN_DNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(handle_, sh.x, filter, plan.conv, sh.y,
                                                          CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf));
    }
    sh.fwd = pick(perf, count, "forward");
    if (!tf32 && !bf16) sh.fwd.math = CUDNN_FMA_MATH;
  }
  NN_DNN_CHECK(cudnnSetConvolutionMathType(plan.conv, sh.fwd.math));
  std::shared_ptr<float> ws = sh.fwd.workspace ? backend_.scratch(sh.fwd.workspace) : nullptr;
  const float one = 1.0f, zero = 0.0f;
  const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(sh.fwd.algo);
  // Bias and ReLU in cuDNN's fused call (float32 only); otherwise nn's kernel after the convolution.
  if (bias && act == Epilogue::Relu && !bf16 && plan.fused_supported) {
    const cudnnStatus_t st = cudnnConvolutionBiasActivationForward(
        handle_, &one, sh.x, xo.ptr, filter, wo.ptr, plan.conv, algo, ws.get(), sh.fwd.workspace, &zero, sh.y, y,
        plan.bias, bias, plan.relu, sh.y, y);
    if (st == CUDNN_STATUS_SUCCESS) return;
    // cuDNN 9 says "not supported" with a sub-code (CUDNN_STATUS_NOT_SUPPORTED_SHAPE, ...), and some
    // algorithm and activation pairs are refused as bad parameters: then the unfused path.
    if (CUDNN_STATUS_CATEGORY(st) != CUDNN_STATUS_NOT_SUPPORTED && CUDNN_STATUS_CATEGORY(st) != CUDNN_STATUS_BAD_PARAM)
      check_dnn(st, "cudnnConvolutionBiasActivationForward");
    plan.fused_supported = false;
  }
  NN_DNN_CHECK(cudnnConvolutionForward(handle_, &one, sh.x, xo.ptr, filter, wo.ptr, plan.conv, algo, ws.get(),
                                       sh.fwd.workspace, &zero, sh.y, yo));
  if (bf16) convert(s, y16.get(), kBFloat16, y, kFloat32, y_count);
  bias_activation(s, y, bias, p.n, p.k, p.out_h() * p.out_w(), act);
}

void ConvEngine::backward(KernelPlan& base, const Conv2DParams& p, const float* x, const float* w, const float* y,
                          const float* dy, Epilogue act, float* dx, float* dw, float* db) {
  auto& plan = static_cast<CudnnConvPlan&>(base);
  cudaStream_t s = backend_.queue();
  const bool bf16 = autocast_dtype() == kBFloat16;
  const bool tf32 = nn::cuda::allow_tf32_convolutions();
  const int64_t y_count = p.n * p.k * p.out_h() * p.out_w(), w_count = p.k * p.c * p.kh * p.kw;
  const int64_t xp_count = p.n * p.c * plan.padded_h * plan.padded_w;

  // dz = dy act'(y) and db, by nn's kernel (dz is dy itself without an activation).
  const float* dz = dy;
  std::shared_ptr<float> dz_buffer;
  if (act != Epilogue::None) {
    dz_buffer = backend_.scratch(static_cast<size_t>(y_count) * sizeof(float));
    dz = dz_buffer.get();
  }
  if (act != Epilogue::None || db)
    bias_activation_backward(s, y, dy, act != Epilogue::None ? dz_buffer.get() : nullptr, db, p.n, p.k,
                             p.out_h() * p.out_w(), act);
  if (!dx && !dw) return;
  const Operand dzo = bf16 ? bf16_copy(backend_, s, dz, y_count) : Operand{dz, nullptr};

  std::lock_guard<std::mutex> lock(mutex_);
  std::lock_guard<std::mutex> plan_lock(plan.mutex);
  NN_DNN_CHECK(cudnnSetStream(handle_, s));
  CudnnConvPlan::Shapes& sh = plan.shapes_for({p.n, bf16, tf32});
  cudnnFilterDescriptor_t filter = plan.filter[bf16 ? 1 : 0];
  const float one = 1.0f, zero = 0.0f;
  const bool search = nn::cuda::cudnn_benchmark();
  const cudnnMathType_t default_math = tf32 || bf16 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;

  if (dx) {
    const Operand wo = bf16 ? bf16_copy(backend_, s, w, w_count) : Operand{w, nullptr};
    // cuDNN writes the gradient of the (padded, bfloat16) input it saw; nn's kernels bring it to dx.
    const bool direct = !plan.asymmetric && !bf16;
    std::shared_ptr<float> dxp = direct ? nullptr : backend_.scratch(static_cast<size_t>(xp_count) * (bf16 ? 2 : 4));
    void* dx_out = direct ? static_cast<void*>(dx) : static_cast<void*>(dxp.get());
    if (sh.bwd_data.algo < 0) {
      NN_DNN_CHECK(cudnnSetConvolutionMathType(plan.conv, default_math));
      cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      int count = 0;
      if (search) {
        auto ws = backend_.scratch(kMaxWorkspace);
        NN_DNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(handle_, filter, wo.ptr, sh.y, dzo.ptr, plan.conv,
                                                                 sh.x, dx_out, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                                                                 &count, perf, ws.get(), kMaxWorkspace));
      } else {
        NN_DNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle_, filter, sh.y, plan.conv, sh.x,
                                                                 CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf));
      }
      sh.bwd_data = pick(perf, count, "backward-data");
      if (default_math == CUDNN_FMA_MATH) sh.bwd_data.math = CUDNN_FMA_MATH;
    }
    NN_DNN_CHECK(cudnnSetConvolutionMathType(plan.conv, sh.bwd_data.math));
    std::shared_ptr<float> ws = sh.bwd_data.workspace ? backend_.scratch(sh.bwd_data.workspace) : nullptr;
    NN_DNN_CHECK(cudnnConvolutionBackwardData(handle_, &one, filter, wo.ptr, sh.y, dzo.ptr, plan.conv,
                                              static_cast<cudnnConvolutionBwdDataAlgo_t>(sh.bwd_data.algo), ws.get(),
                                              sh.bwd_data.workspace, &zero, sh.x, dx_out));
    if (!direct) {
      const float* full = dxp.get();
      std::shared_ptr<float> f32;
      if (bf16) {
        f32 = plan.asymmetric ? backend_.scratch(static_cast<size_t>(xp_count) * sizeof(float)) : nullptr;
        convert(s, dxp.get(), kBFloat16, plan.asymmetric ? f32.get() : dx, kFloat32, xp_count);
        full = f32.get();
      }
      if (plan.asymmetric)
        crop2d(s, full, dx, p.n * p.c, plan.padded_h, plan.padded_w, p.pad_top, p.pad_left, p.h, p.w);
    }
  }
  if (dw) {
    const Operand xo = input_operand(backend_, s, plan, p, x, bf16);
    std::shared_ptr<float> dw16 = bf16 ? backend_.scratch(static_cast<size_t>(w_count) * 2) : nullptr;
    void* dw_out = bf16 ? static_cast<void*>(dw16.get()) : static_cast<void*>(dw);
    if (sh.bwd_filter.algo < 0) {
      NN_DNN_CHECK(cudnnSetConvolutionMathType(plan.conv, default_math));
      cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      int count = 0;
      if (search) {
        auto ws = backend_.scratch(kMaxWorkspace);
        NN_DNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
            handle_, sh.x, xo.ptr, sh.y, dzo.ptr, plan.conv, filter, dw_out, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
            &count, perf, ws.get(), kMaxWorkspace));
      } else {
        NN_DNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
            handle_, sh.x, sh.y, plan.conv, filter, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf));
      }
      sh.bwd_filter = pick(perf, count, "backward-filter");
      if (default_math == CUDNN_FMA_MATH) sh.bwd_filter.math = CUDNN_FMA_MATH;
    }
    NN_DNN_CHECK(cudnnSetConvolutionMathType(plan.conv, sh.bwd_filter.math));
    std::shared_ptr<float> ws = sh.bwd_filter.workspace ? backend_.scratch(sh.bwd_filter.workspace) : nullptr;
    NN_DNN_CHECK(cudnnConvolutionBackwardFilter(handle_, &one, sh.x, xo.ptr, sh.y, dzo.ptr, plan.conv,
                                                static_cast<cudnnConvolutionBwdFilterAlgo_t>(sh.bwd_filter.algo),
                                                ws.get(), sh.bwd_filter.workspace, &zero, filter, dw_out));
    if (bf16) convert(s, dw16.get(), kBFloat16, dw, kFloat32, w_count);
  }
}

}  // namespace nn::detail::cuda
