// Convolution on oneDNN 2.x (see onednn_conv.hpp): per share of the batch, the input and dz
// are reordered into oneDNN's blocked layout, the JIT primitive runs, and the result is reordered
// back to NCHW. Each pool thread works on its own share with its own buffers; weight gradients
// are summed over the shares in a fixed order, so results do not depend on timing.
#include "onednn_conv.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include <oneapi/dnnl/dnnl.hpp>

#include "../cpu/thread_pool.hpp"

#if DNNL_CPU_RUNTIME != DNNL_RUNTIME_OMP
#error "nn's oneDNN provider needs oneDNN built on OpenMP (it sets each thread's OpenMP thread count)"
#endif

// GCC's OpenMP runtime, which oneDNN is built on: the calling thread's thread count.
extern "C" {
int omp_get_max_threads(void);
void omp_set_num_threads(int);
}

namespace nn::detail {
namespace {
constexpr int64_t kMinChannels = 16;
using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// Runs fn with oneDNN confined to the calling thread (primitives are made and run this way: a
// primitive sizes its work for the threads it sees when it is made). The thread's own OpenMP
// setting is put back afterwards.
template <class F>
void on_this_thread(const F& fn) {
  const int before = omp_get_max_threads();
  if (before != 1) omp_set_num_threads(1);
  try {
    fn();
  } catch (...) {
    if (before != 1) omp_set_num_threads(before);
    throw;
  }
  if (before != 1) omp_set_num_threads(before);
}

bool is_jit(const std::string& impl) { return impl.rfind("jit", 0) == 0; }

// A reorder between two layouts, or nothing when they are the same.
struct Reorder {
  bool needed = false;
  memory::desc from, to;
  dnnl::reorder prim;
  Reorder() = default;
  Reorder(const memory::desc& f, const memory::desc& t) : needed(f != t), from(f), to(t) {
    if (needed) prim = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), f, engine(), t));
  }
};

// Floats of a buffer for `desc`, rounded up to whole cache lines.
int64_t floats_for(const memory::desc& desc) {
  const auto bytes = static_cast<int64_t>(desc.get_size());
  return (bytes / static_cast<int64_t>(sizeof(float)) + 15) / 16 * 16;
}

dnnl::algorithm eltwise_for(Epilogue act) {
  switch (act) {
    case Epilogue::Relu: return dnnl::algorithm::eltwise_relu;
    case Epilogue::Sigmoid: return dnnl::algorithm::eltwise_logistic;
    case Epilogue::Tanh: return dnnl::algorithm::eltwise_tanh;
    case Epilogue::None: break;
  }
  return dnnl::algorithm::undef;
}

// Bump allocator over one task's part of a scratch block.
struct Carve {
  float* at;
  float* take(int64_t floats) {
    float* p = at;
    at += floats;
    return p;
  }
  float* take(const memory::desc& desc) { return take(floats_for(desc)); }
};

class Conv final : public ConvKernels {
 public:
  explicit Conv(const Conv2DParams& p) : geometry_(p) {
    geometry_.n = 0;
    on_this_thread([&] {
      Share& one = share(1);
      fwd_impl_ = one.forward(Epilogue::None, false).pd.impl_info_str();
      bwd_data_impl_ = one.backward_data().pd.impl_info_str();
      bwd_weights_impl_ = one.backward_weights().pd.impl_info_str();
    });
    impl_ = "forward " + fwd_impl_ + ", backward-data " + bwd_data_impl_ + ", backward-weights " + bwd_weights_impl_;
  }

  bool does_forward() const override { return is_jit(fwd_impl_); }
  bool does_backward_data() const override { return is_jit(bwd_data_impl_); }
  bool does_backward_weights() const override { return is_jit(bwd_weights_impl_); }
  const char* implementation() const override { return impl_.c_str(); }

  void forward(Backend& be, const Conv2DParams& p, const float* x, const float* w, const float* bias, Epilogue act,
               float* y) override {
    const int64_t tasks = task_count(p.n);
    // The primitives of each call size (made here when new), and each task's scratch: one call's
    // input and output in the blocked layout, the blocked weights, the scratchpad.
    std::map<int64_t, const Forward*> prims;
    int64_t per_task = 0;
    prepare(p.n, tasks, [&](int64_t images, Share& s) {
      const Forward& f = s.forward(act, bias != nullptr);
      prims[images] = &f;
      per_task = std::max(per_task, floats_for(f.pd.src_desc()) + floats_for(f.pd.dst_desc()) +
                                        floats_for(f.pd.weights_desc()) + floats_for(f.pd.scratchpad_desc()));
    });
    const auto scratch = be.allocate(tasks * per_task);
    const int64_t in_size = p.c * p.h * p.w, out_size = p.k * p.out_h() * p.out_w();
    per_call(p.n, tasks, [&](int64_t t, int64_t first, int64_t images, dnnl::stream& stream) {
      const Forward& f = *prims.at(images);
      Carve carve{scratch.get() + t * per_task};
      memory src = input(stream, f.src, x + first * in_size, carve);
      memory wei = input(stream, f.weights, w, carve);
      memory dst = f.dst.needed ? memory(f.dst.from, engine(), carve.take(f.dst.from))
                                : memory(f.dst.to, engine(), y + first * out_size);
      memory pad(f.pd.scratchpad_desc(), engine(), carve.take(f.pd.scratchpad_desc()));
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst},
                                           {DNNL_ARG_SCRATCHPAD, pad}};
      if (bias) args.emplace(DNNL_ARG_BIAS, memory(f.bias_desc, engine(), const_cast<float*>(bias)));
      f.prim.execute(stream, args);
      if (f.dst.needed) {
        memory out(f.dst.to, engine(), y + first * out_size);
        f.dst.prim.execute(stream, dst, out);
      }
    });
  }

  void backward(Backend& be, const Conv2DParams& p, const float* x, const float* w, const float* dz, float* dx,
                float* dw) override {
    if (!dx && !dw) return;
    const int64_t tasks = task_count(p.n);
    const int64_t dw_size = (p.k * p.c * p.kh * p.kw + 15) / 16 * 16;
    std::map<int64_t, const BackwardData*> data_prims;
    std::map<int64_t, const BackwardWeights*> weight_prims;
    // Per task: its dw sum (when dw is wanted), then one call's buffers.
    int64_t per_call_floats = 0;
    prepare(p.n, tasks, [&](int64_t images, Share& s) {
      int64_t need = 0;
      if (dx) {
        const BackwardData& b = s.backward_data();
        data_prims[images] = &b;
        need += floats_for(b.pd.diff_dst_desc()) + floats_for(b.pd.weights_desc()) +
                floats_for(b.pd.diff_src_desc()) + floats_for(b.pd.scratchpad_desc());
      }
      if (dw) {
        const BackwardWeights& b = s.backward_weights();
        weight_prims[images] = &b;
        need += floats_for(b.pd.diff_dst_desc()) + floats_for(b.pd.src_desc()) +
                floats_for(b.pd.diff_weights_desc()) + floats_for(b.pd.scratchpad_desc()) + dw_size;
      }
      per_call_floats = std::max(per_call_floats, need);
    });
    const int64_t sum_floats = dw ? dw_size : 0, per_task = sum_floats + per_call_floats;
    const auto scratch = be.allocate(tasks * per_task);
    const int64_t in_size = p.c * p.h * p.w, out_size = p.k * p.out_h() * p.out_w(), n_dw = p.k * p.c * p.kh * p.kw;
    per_call(p.n, tasks, [&](int64_t t, int64_t first, int64_t images, dnnl::stream& stream) {
      float* sum = scratch.get() + t * per_task;  // this task's dw, (k, c, kh, kw)
      Carve carve{sum + sum_floats};
      const float* dz_c = dz + first * out_size;
      memory ddst;  // dz in the layout of backward-data, reused by backward-weights when the same
      if (dx) {
        const BackwardData& b = *data_prims.at(images);
        ddst = input(stream, b.diff_dst, dz_c, carve);
        memory wei = input(stream, b.weights, w, carve);
        memory dsrc = b.diff_src.needed ? memory(b.diff_src.from, engine(), carve.take(b.diff_src.from))
                                        : memory(b.diff_src.to, engine(), dx + first * in_size);
        memory pad(b.pd.scratchpad_desc(), engine(), carve.take(b.pd.scratchpad_desc()));
        b.prim.execute(stream, {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DIFF_SRC, dsrc},
                                {DNNL_ARG_SCRATCHPAD, pad}});
        if (b.diff_src.needed) {
          memory out(b.diff_src.to, engine(), dx + first * in_size);
          b.diff_src.prim.execute(stream, dsrc, out);
        }
      }
      if (dw) {
        const BackwardWeights& b = *weight_prims.at(images);
        if (!dx || ddst.get_desc() != b.diff_dst.to) ddst = input(stream, b.diff_dst, dz_c, carve);
        memory src = input(stream, b.src, x + first * in_size, carve);
        // The task's first call writes its sum; later calls write beside it and add.
        const bool first_call = first == task_images(p.n, tasks, t).first;
        float* mine = first_call ? sum : carve.take(dw_size);
        memory dwei = b.diff_weights.needed ? memory(b.diff_weights.from, engine(), carve.take(b.diff_weights.from))
                                            : memory(b.diff_weights.to, engine(), mine);
        memory pad(b.pd.scratchpad_desc(), engine(), carve.take(b.pd.scratchpad_desc()));
        b.prim.execute(stream, {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_WEIGHTS, dwei},
                                {DNNL_ARG_SCRATCHPAD, pad}});
        if (b.diff_weights.needed) {
          memory out(b.diff_weights.to, engine(), mine);
          b.diff_weights.prim.execute(stream, dwei, out);
        }
        stream.wait();
        if (!first_call)
          for (int64_t j = 0; j < n_dw; ++j) sum[j] += mine[j];
      }
    });
    if (dw) {  // the tasks' sums, added in task order
      parallel_for(n_dw, 4096, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          float s = 0.0f;
          for (int64_t t = 0; t < tasks; ++t) s += scratch.get()[t * per_task + j];
          dw[j] = s;
        }
      });
    }
  }

 private:
  struct Forward {
    dnnl::convolution_forward::primitive_desc pd;
    dnnl::convolution_forward prim;
    memory::desc bias_desc;
    Reorder src, weights, dst;
  };
  struct BackwardData {
    dnnl::convolution_backward_data::primitive_desc pd;
    dnnl::convolution_backward_data prim;
    Reorder diff_dst, weights, diff_src;
  };
  struct BackwardWeights {
    dnnl::convolution_backward_weights::primitive_desc pd;
    dnnl::convolution_backward_weights prim;
    Reorder diff_dst, src, diff_weights;
  };

  // The primitives for one share size (images per task). Made on first use, on the calling
  // thread (inside on_this_thread), before the tasks run.
  class Share {
   public:
    Share(const Conv2DParams& g, int64_t n)
        : src_(memory::dims{n, g.c, g.h, g.w}, Dt::f32, Tag::nchw),
          weights_(memory::dims{g.k, g.c, g.kh, g.kw}, Dt::f32, Tag::oihw),
          bias_(memory::dims{g.k}, Dt::f32, Tag::x),
          dst_(memory::dims{n, g.k, g.out_h(), g.out_w()}, Dt::f32, Tag::nchw),
          strides_{g.stride_h, g.stride_w},
          pad_l_{g.pad_top, g.pad_left},
          pad_r_{g.pad_bottom, g.pad_right} {}

    const Forward& forward(Epilogue act, bool bias) {
      const int key = static_cast<int>(act) * 2 + (bias ? 1 : 0);
      auto it = forward_.find(key);
      if (it != forward_.end()) return it->second;
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      if (act != Epilogue::None) {
        dnnl::post_ops ops;
        ops.append_eltwise(1.0f, eltwise_for(act), 0.0f, 0.0f);
        attr.set_post_ops(ops);
      }
      const auto desc = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                                                dnnl::algorithm::convolution_direct, any(src_), any(weights_),
                                                                bias_, any(dst_), strides_, pad_l_, pad_r_)
                             : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                                                dnnl::algorithm::convolution_direct, any(src_), any(weights_),
                                                                any(dst_), strides_, pad_l_, pad_r_);
      Forward f{dnnl::convolution_forward::primitive_desc(desc, attr, engine()), {}, bias_, {}, {}, {}};
      f.prim = dnnl::convolution_forward(f.pd);
      f.src = Reorder(src_, f.pd.src_desc());
      f.weights = Reorder(weights_, f.pd.weights_desc());
      f.dst = Reorder(f.pd.dst_desc(), dst_);
      return forward_.emplace(key, std::move(f)).first->second;
    }

    const BackwardData& backward_data() {
      if (!backward_data_) {
        backward_data_ = std::make_unique<BackwardData>(
            BackwardData{backward_pd<dnnl::convolution_backward_data>(), {}, {}, {}, {}});
        BackwardData& b = *backward_data_;
        b.prim = dnnl::convolution_backward_data(b.pd);
        b.diff_dst = Reorder(dst_, b.pd.diff_dst_desc());
        b.weights = Reorder(weights_, b.pd.weights_desc());
        b.diff_src = Reorder(b.pd.diff_src_desc(), src_);
      }
      return *backward_data_;
    }

    const BackwardWeights& backward_weights() {
      if (!backward_weights_) {
        backward_weights_ = std::make_unique<BackwardWeights>(
            BackwardWeights{backward_pd<dnnl::convolution_backward_weights>(), {}, {}, {}, {}});
        BackwardWeights& b = *backward_weights_;
        b.prim = dnnl::convolution_backward_weights(b.pd);
        b.diff_dst = Reorder(dst_, b.pd.diff_dst_desc());
        b.src = Reorder(src_, b.pd.src_desc());
        b.diff_weights = Reorder(b.pd.diff_weights_desc(), weights_);
      }
      return *backward_weights_;
    }

   private:
    static memory::desc any(const memory::desc& d) { return memory::desc(d.dims(), Dt::f32, Tag::any); }
    // A backward primitive's description (Op: convolution_backward_data or _weights), in the
    // layouts oneDNN prefers, hinted by the forward one.
    template <class Op>
    typename Op::primitive_desc backward_pd() {
      const typename Op::desc desc(dnnl::algorithm::convolution_direct, any(src_), any(weights_), any(dst_), strides_,
                                   pad_l_, pad_r_);
      return typename Op::primitive_desc(desc, user_scratchpad(), engine(), hint());
    }
    static dnnl::primitive_attr user_scratchpad() {
      dnnl::primitive_attr attr;
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      return attr;
    }
    // The forward primitive the backward ones are made against (no bias, no activation).
    const dnnl::convolution_forward::primitive_desc& hint() {
      if (!hint_) {
        const auto desc = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                                          dnnl::algorithm::convolution_direct, any(src_), any(weights_),
                                                          any(dst_), strides_, pad_l_, pad_r_);
        hint_ = std::make_unique<dnnl::convolution_forward::primitive_desc>(desc, engine());
      }
      return *hint_;
    }

    memory::desc src_, weights_, bias_, dst_;
    memory::dims strides_, pad_l_, pad_r_;
    std::map<int, Forward> forward_;
    std::unique_ptr<BackwardData> backward_data_;
    std::unique_ptr<BackwardWeights> backward_weights_;
    std::unique_ptr<dnnl::convolution_forward::primitive_desc> hint_;
  };

  // `user` data (NCHW or OIHW) as the primitive wants it: in place, or reordered into scratch.
  static memory input(dnnl::stream& stream, const Reorder& r, const float* user, Carve& carve) {
    memory mine(r.from, engine(), const_cast<float*>(user));  // read only
    if (!r.needed) return mine;
    memory blocked(r.to, engine(), carve.take(r.to));
    r.prim.execute(stream, mine, blocked);
    return blocked;
  }

  static int64_t task_count(int64_t n) { return std::max<int64_t>(1, std::min<int64_t>(n, thread_pool()->size())); }

  // Images per primitive call: bounds the blocked copies (a task of 500 images makes 16 calls).
  static constexpr int64_t kImagesPerCall = 32;

  // The images of task t of `tasks` out of n: [first, last).
  static std::pair<int64_t, int64_t> task_images(int64_t n, int64_t tasks, int64_t t) {
    return {t * n / tasks, (t + 1) * n / tasks};
  }

  // fn(task, first image, images, stream) for each call of each task's share of [0, n), on the
  // pool, oneDNN confined to each thread; a task's calls run in order.
  template <class F>
  static void per_call(int64_t n, int64_t tasks, const F& fn) {
    parallel_for(tasks, 1, [&](int64_t b, int64_t e) {
      on_this_thread([&] {
        dnnl::stream stream(engine());
        for (int64_t t = b; t < e; ++t) {
          const auto [first, last] = task_images(n, tasks, t);
          for (int64_t at = first; at < last; at += kImagesPerCall) {
            fn(t, at, std::min(kImagesPerCall, last - at), stream);
            stream.wait();
          }
        }
      });
    });
  }

  // fn(images, share) for each call size per_call will use, on the calling thread under the
  // lock: it makes what is new. (The tasks then use only what fn collected: map nodes never move.)
  template <class F>
  void prepare(int64_t n, int64_t tasks, const F& fn) {
    std::set<int64_t> sizes;
    for (int64_t t = 0; t < tasks; ++t) {
      const auto [first, last] = task_images(n, tasks, t);
      const int64_t count = last - first;
      if (count >= kImagesPerCall) sizes.insert(kImagesPerCall);
      if (count % kImagesPerCall) sizes.insert(count % kImagesPerCall);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    on_this_thread([&] {
      for (const int64_t size : sizes) fn(size, share(size));
    });
  }

  Share& share(int64_t images) {
    auto it = shares_.find(images);
    if (it == shares_.end()) it = shares_.emplace(images, std::make_unique<Share>(geometry_, images)).first;
    return *it->second;
  }

  Conv2DParams geometry_;
  std::mutex mutex_;  // held while Shares are looked up or filled
  std::map<int64_t, std::unique_ptr<Share>> shares_;
  std::string fwd_impl_, bwd_data_impl_, bwd_weights_impl_, impl_;
};

}  // namespace

std::unique_ptr<ConvKernels> make_onednn_conv(const Conv2DParams& p) {
  // Fewer than 16 input channels (a first layer on grey images) fill no channel block: oneDNN
  // takes its "first convolution" kernels, which in bench_kernels ran within 15% of im2col
  // forward, at half to twice its speed for backward-filter, and 4-13x slower for backward-data,
  // so im2col keeps them.
  if (p.c < kMinChannels) return nullptr;
  try {
    return std::make_unique<Conv>(p);
  } catch (const dnnl::error&) {
    return nullptr;  // no kernel for this geometry on this CPU: im2col runs it
  }
}

}  // namespace nn::detail
