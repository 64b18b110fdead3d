// CPU backend: memory, elementwise kernels, softmax family, optimizers.
#include "cpu_backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nn/random.hpp"
#include "thread_pool.hpp"

namespace nn::detail {
namespace {
constexpr int64_t kGrain = 16384;  // elements per task for cheap elementwise loops
constexpr int64_t kMaxCachedFloats = int64_t{1} << 30;  // 4 GiB of cached blocks at most

int64_t rounded(int64_t count) { return std::max<int64_t>(16, (count + 15) / 16 * 16); }

// Uniform in [0, 1) from a counter: splitmix64 finaliser of (seed, index).
inline float uniform_at(uint64_t seed, uint64_t index) {
  return static_cast<float>(splitmix64_at(seed, index) >> 40) * (1.0f / 16777216.0f);
}

int64_t label_at(const float* targets, int64_t row, int64_t cols) {
  const float v = targets[row];
  const auto label = static_cast<int64_t>(v);
  if (!(v >= 0.0f) || label >= cols || static_cast<float>(label) != v)
    throw std::out_of_range(
        fmt::format("label {} of row {} is not a class index in [0, {})", v, row, cols));
  return label;
}
}  // namespace

// ---------------------------------------------------------------- memory

namespace {
// A thread's own blocks, by size; bounded so a thread cannot hoard memory.
struct ThreadCache {
  static constexpr size_t kMaxPerSize = 256;
  static constexpr int64_t kMaxFloats = int64_t{16} << 20;  // 64 MiB per thread
  std::vector<std::pair<int64_t, std::vector<float*>>> sizes;  // few distinct sizes: linear scan
  int64_t floats = 0;

  std::vector<float*>* find(int64_t count) {
    for (auto& [n, blocks] : sizes)
      if (n == count) return &blocks;
    return nullptr;
  }
  void drain() {
    for (auto& [n, blocks] : sizes)
      for (float* p : blocks) HostAllocator::instance().release_shared(p, n);
    sizes.clear();
    floats = 0;
  }
  ~ThreadCache();
};
thread_local ThreadCache t_cache;
// Set when this thread's cache is gone (thread exit; static objects freed after it use the pool).
thread_local bool t_cache_gone = false;
ThreadCache::~ThreadCache() {
  drain();
  t_cache_gone = true;
}
}  // namespace

HostAllocator& HostAllocator::instance() {
  static HostAllocator* allocator = new HostAllocator();  // never destroyed, see the header
  return *allocator;
}

float* HostAllocator::acquire(int64_t count) {
  if (auto* blocks = t_cache_gone ? nullptr : t_cache.find(count); blocks && !blocks->empty()) {
    float* p = blocks->back();
    blocks->pop_back();
    t_cache.floats -= count;
    return p;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(count);
    if (it != free_.end() && !it->second.empty()) {
      float* p = it->second.back();
      it->second.pop_back();
      cached_floats_ -= count;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, static_cast<size_t>(count) * sizeof(float));
  if (!p) {
    trim();
    p = std::aligned_alloc(64, static_cast<size_t>(count) * sizeof(float));
    if (!p) throw std::bad_alloc();
  }
  return static_cast<float*>(p);
}

void HostAllocator::release(float* p, int64_t count) {
  if (!t_cache_gone && t_cache.floats + count <= ThreadCache::kMaxFloats) {
    auto* blocks = t_cache.find(count);
    if (!blocks) {
      t_cache.sizes.emplace_back(count, std::vector<float*>{});
      blocks = &t_cache.sizes.back().second;
    }
    if (blocks->size() < ThreadCache::kMaxPerSize) {
      blocks->push_back(p);
      t_cache.floats += count;
      return;
    }
  }
  release_shared(p, count);
}

void HostAllocator::release_shared(float* p, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_floats_ + count > kMaxCachedFloats) {
    std::free(p);
    return;
  }
  free_[count].push_back(p);
  cached_floats_ += count;
}

void HostAllocator::trim() {
  if (!t_cache_gone) t_cache.drain();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [count, blocks] : free_)
    for (float* p : blocks) std::free(p);
  free_.clear();
  cached_floats_ = 0;
}

CpuBackend::CpuBackend() : allocator_(HostAllocator::instance()) { init_blas(); }

std::string CpuBackend::name() const {
  return fmt::format("cpu ({} threads, OpenBLAS {})", thread_pool()->size(), blas_core_name());
}

std::shared_ptr<float> CpuBackend::allocate(int64_t count) {
  const int64_t n = rounded(count);
  float* p = allocator_.acquire(n);
  if (poison_memory()) std::fill(p, p + n, std::numeric_limits<float>::quiet_NaN());
  return std::shared_ptr<float>(p, [n](float* q) { HostAllocator::instance().release(q, n); });
}

void CpuBackend::release_cached() { allocator_.trim(); }

void CpuBackend::copy(const float* src, float* dst, int64_t n) {
  if (src == dst || n == 0) return;
  parallel_for(n, 1 << 18, [&](int64_t b, int64_t e) {
    std::memcpy(dst + b, src + b, static_cast<size_t>(e - b) * sizeof(float));
  });
}

void CpuBackend::fill(float* y, float value, int64_t n) {
  parallel_for(n, 1 << 18, [&](int64_t b, int64_t e) { std::fill(y + b, y + e, value); });
}

// ---------------------------------------------------------------- BLAS-1

void CpuBackend::gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                      const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                      float* c, int64_t ldc) {
  sgemm_parallel(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void CpuBackend::axpy(int64_t n, float alpha, const float* x, float* y) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] += alpha * x[i];
  });
}

void CpuBackend::scale(int64_t n, float alpha, const float* x, float* y) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = alpha * x[i];
  });
}

// ---------------------------------------------------------------- elementwise

void CpuBackend::add_bias(float* y, const float* bias, int64_t outer, int64_t channels,
                          int64_t inner) {
  if (inner == 1) {  // (outer, channels) rows, as after a dense layer: add the bias row to each
    parallel_for(outer, std::max<int64_t>(1, kGrain / channels), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        float* row = y + o * channels;
        for (int64_t c = 0; c < channels; ++c) row[c] += bias[c];
      }
    });
    return;
  }
  parallel_for(outer * channels, std::max<int64_t>(1, kGrain / inner), [&](int64_t b, int64_t e) {
    for (int64_t oc = b; oc < e; ++oc) {
      const float v = bias[oc % channels];
      float* row = y + oc * inner;
      for (int64_t i = 0; i < inner; ++i) row[i] += v;
    }
  });
}

void CpuBackend::bias_backward(const float* dy, float* db, int64_t outer, int64_t channels,
                               int64_t inner) {
  if (inner == 1) {  // column sums of (outer, channels): rows added in order, in double
    parallel_for(channels, 64, [&](int64_t b, int64_t e) {
      thread_local std::vector<double> s;  // reused: no allocation in the steady state
      s.assign(static_cast<size_t>(e - b), 0.0);
      for (int64_t o = 0; o < outer; ++o) {
        const float* row = dy + o * channels + b;
        for (int64_t c = 0; c < e - b; ++c) s[static_cast<size_t>(c)] += row[c];
      }
      for (int64_t c = b; c < e; ++c) db[c] = static_cast<float>(s[static_cast<size_t>(c - b)]);
    });
    return;
  }
  parallel_for(channels, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, outer * inner)),
               [&](int64_t b, int64_t e) {
                 for (int64_t c = b; c < e; ++c) {
                   double s = 0.0;
                   for (int64_t o = 0; o < outer; ++o) {
                     const float* row = dy + (o * channels + c) * inner;
                     float part = 0.0f;
                     for (int64_t i = 0; i < inner; ++i) part += row[i];
                     s += part;
                   }
                   db[c] = static_cast<float>(s);
                 }
               });
}

void CpuBackend::sum(const float* x, float* out, int64_t n) {
  const int64_t chunk = 1 << 16, chunks = std::max<int64_t>(1, (n + chunk - 1) / chunk);
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      double s = 0.0;
      for (int64_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) s += x[i];
      partial[static_cast<size_t>(c)] = s;
    }
  });
  double s = 0.0;
  for (double p : partial) s += p;
  out[0] = static_cast<float>(s);
}

void CpuBackend::clip(const float* x, float* y, int64_t n, float lo, float hi) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = std::min(std::max(x[i], lo), hi);
  });
}

void CpuBackend::clip_backward(const float* x, const float* dy, float* dx, int64_t n, float lo,
                               float hi) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      dx[i] = (x[i] > lo && x[i] < hi) ? dy[i] : 0.0f;
    }
  });
}

void CpuBackend::one_hot(const float* labels, float* out, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t label = label_at(labels, r, cols);
    std::fill(out + r * cols, out + (r + 1) * cols, 0.0f);
    out[r * cols + label] = 1.0f;
  }
}

// ---------------------------------------------------------------- softmax family

void CpuBackend::softmax(const float* x, float* y, int64_t rows, int64_t cols, bool log) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      const float mx = *std::max_element(xr, xr + cols);
      double s = 0.0;
      for (int64_t j = 0; j < cols; ++j) s += std::exp(xr[j] - mx);
      if (log) {
        const float lse = mx + static_cast<float>(std::log(s));
        for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - lse;
      } else {
        const auto inv = static_cast<float>(1.0 / s);
        for (int64_t j = 0; j < cols; ++j) yr[j] = std::exp(xr[j] - mx) * inv;
      }
    }
  });
}

void CpuBackend::softmax_backward(const float* y, const float* dy, float* dx, int64_t rows,
                                  int64_t cols, bool log) {
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* yr = y + r * cols;
      const float* gr = dy + r * cols;
      float* dr = dx + r * cols;
      double s = 0.0;
      if (log) {  // dx = dy - softmax * sum(dy)
        for (int64_t j = 0; j < cols; ++j) s += gr[j];
        for (int64_t j = 0; j < cols; ++j) {
          dr[j] = gr[j] - std::exp(yr[j]) * static_cast<float>(s);
        }
      } else {  // dx = y * (dy - sum(dy * y))
        for (int64_t j = 0; j < cols; ++j) s += gr[j] * yr[j];
        for (int64_t j = 0; j < cols; ++j) {
          dr[j] = yr[j] * (gr[j] - static_cast<float>(s));
        }
      }
    }
  });
}

void CpuBackend::softmax_cross_entropy(const float* logits, const float* targets, bool sparse,
                                       float* probs, float* loss, int64_t rows, int64_t cols) {
  if (sparse)  // validate labels up front so no worker throws
    for (int64_t r = 0; r < rows; ++r) label_at(targets, r, cols);
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = logits + r * cols;
      float* pr = probs + r * cols;
      const float mx = *std::max_element(xr, xr + cols);
      double s = 0.0;
      for (int64_t j = 0; j < cols; ++j) {
        pr[j] = std::exp(xr[j] - mx);
        s += pr[j];
      }
      const double lse = mx + std::log(s);
      const auto inv = static_cast<float>(1.0 / s);
      for (int64_t j = 0; j < cols; ++j) pr[j] *= inv;
      if (sparse) {
        loss[r] = static_cast<float>(lse - xr[static_cast<int64_t>(targets[r])]);
      } else {
        const float* tr = targets + r * cols;
        double l = 0.0;
        for (int64_t j = 0; j < cols; ++j)
          if (tr[j] != 0.0f) l += tr[j] * (lse - xr[j]);
        loss[r] = static_cast<float>(l);
      }
    }
  });
}

void CpuBackend::softmax_cross_entropy_backward(const float* probs, const float* targets,
                                                bool sparse, const float* scale, float* dlogits,
                                                int64_t rows, int64_t cols) {
  const float s = scale[0];
  parallel_for(rows, std::max<int64_t>(1, kGrain / cols), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* pr = probs + r * cols;
      float* dr = dlogits + r * cols;
      const int64_t label = sparse ? static_cast<int64_t>(targets[r]) : -1;
      const float* tr = sparse ? nullptr : targets + r * cols;
      for (int64_t j = 0; j < cols; ++j) {
        const float t = sparse ? (j == label ? 1.0f : 0.0f) : tr[j];
        dr[j] = s * (pr[j] - t);
      }
    }
  });
}

// ---------------------------------------------------------------- randomness, metrics

void CpuBackend::dropout(const float* x, float* y, float* mask, int64_t n, float rate,
                         uint64_t seed, uint64_t offset) {
  const float keep_scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float m = uniform_at(seed, offset + static_cast<uint64_t>(i)) >= rate ? keep_scale : 0.0f;
      mask[i] = m;
      y[i] = x[i] * m;
    }
  });
}

void CpuBackend::count_correct(const float* scores, const float* targets, bool sparse,
                               float* out, int64_t rows, int64_t cols) {
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* sr = scores + r * cols;
    const int64_t pred = std::max_element(sr, sr + cols) - sr;
    int64_t truth;
    if (sparse) {
      truth = static_cast<int64_t>(targets[r]);
    } else {
      const float* tr = targets + r * cols;
      truth = std::max_element(tr, tr + cols) - tr;
    }
    correct += pred == truth;
  }
  out[0] = static_cast<float>(correct);
}

}  // namespace nn::detail
