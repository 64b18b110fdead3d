// The CPU backend's kernels at the shapes the mnist models use, each checked against a plain
// reference implementation (double accumulation) before it is timed: a wrong fast kernel fails
// the run. Also measures the machine's peak single-precision FMA throughput, so that sgemm can be
// reported as a fraction of it.
//
//   bench_kernels [--check] [--seconds S] [--json FILE]
//     --check     validate every kernel, time nothing (the test suite runs this)
//     --seconds   time spent timing each kernel (default 1)
//     --json      also write the rows as a JSON array: {"name", "unit", "value", "shape"}
//
// Exit status: 0 all kernels correct, 1 a kernel's result differs from the reference.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <fmt/format.h>
#include <nn/nn.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Row {
  std::string name, shape, unit;
  double value;
};

struct Bench {
  bool check_only = false;
  bool quiet = false;  // no line per check (the probes of the check itself)
  double seconds = 1.0;
  std::vector<Row> rows;
  int failures = 0;

  // Seconds per call of fn: the median of repeated timings after a warm-up call.
  double time(const std::function<void()>& fn) const {
    fn();
    std::vector<double> samples;
    const auto start = Clock::now();
    do {
      const auto t0 = Clock::now();
      fn();
      samples.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds || samples.size() < 3);
    std::nth_element(samples.begin(), samples.begin() + static_cast<long>(samples.size() / 2), samples.end());
    return samples[samples.size() / 2];
  }

  // Compares got with want (relative to want's largest magnitude); records a failure.
  bool validate(const std::string& what, const std::vector<float>& got, const std::vector<double>& want,
                double tolerance = 1e-4) {
    if (got.size() != want.size()) {
      ++failures;
      if (!quiet) fmt::print("FAIL {}: {} elements where the reference has {}\n", what, got.size(), want.size());
      return false;
    }
    double scale = 1e-30, worst = 0;
    size_t at = 0;
    for (double w : want) scale = std::max(scale, std::abs(w));
    for (size_t i = 0; i < want.size(); ++i) {
      const double e = std::abs(static_cast<double>(got[i]) - want[i]);
      if (std::isnan(e)) {  // an unwritten element (the outputs are NaN-filled) or a NaN result: the worst
        worst = e, at = i;
        break;
      }
      if (e > worst) worst = e, at = i;
    }
    const bool ok = worst / scale <= tolerance;  // false for NaN
    if (quiet) {
      failures += !ok;
    } else if (!ok) {
      ++failures;
      fmt::print("FAIL {}: element {} is {} where the reference gives {} (relative error {:.2e})\n", what, at, got[at],
                 want[at], worst / scale);
    } else if (check_only) {
      fmt::print("ok   {} (relative error {:.1e})\n", what, worst / scale);
    }
    return ok;
  }

  void report(const std::string& name, const std::string& shape, const std::string& unit, double value) {
    rows.push_back({name, shape, unit, value});
    fmt::print("{:<34} {:<26} {:>10.1f} {}\n", name, shape, value, unit);
  }
};

std::vector<float> random_vector(size_t n, uint64_t seed) {
  nn::Generator g(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = g.uniform(-1, 1);
  return v;
}

// ---- peak FMA throughput: independent accumulators, no memory traffic ----
double peak_gflops_one_thread(double seconds) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512f")) {
    return [&]() __attribute__((target("avx512f"))) {
      __m512 acc[12];
      for (auto& a : acc) a = _mm512_set1_ps(0.0f);
      const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
      int64_t iterations = 0;
      const auto t0 = Clock::now();
      double elapsed = 0;
      do {
        for (int r = 0; r < 100000; ++r)
          for (auto& a : acc) a = _mm512_fmadd_ps(a, x, y);
        iterations += 100000;
        elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      } while (elapsed < seconds);
      float sink[16];
      __m512 s = acc[0];
      for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
      _mm512_storeu_ps(sink, s);
      if (sink[0] == 42.0f) std::puts("");
      return static_cast<double>(iterations) * 12 * 16 * 2 / elapsed / 1e9;
    }();
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    return [&]() __attribute__((target("avx2,fma"))) {
      __m256 acc[12];
      for (auto& a : acc) a = _mm256_set1_ps(0.0f);
      const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
      int64_t iterations = 0;
      const auto t0 = Clock::now();
      double elapsed = 0;
      do {
        for (int r = 0; r < 100000; ++r)
          for (auto& a : acc) a = _mm256_fmadd_ps(a, x, y);
        iterations += 100000;
        elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      } while (elapsed < seconds);
      float sink[8];
      __m256 s = acc[0];
      for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
      _mm256_storeu_ps(sink, s);
      if (sink[0] == 42.0f) std::puts("");
      return static_cast<double>(iterations) * 12 * 8 * 2 / elapsed / 1e9;
    }();
  }
#endif
  (void)seconds;
  return 0.0;
}

double peak_gflops(int threads, double seconds) {
  std::vector<double> each(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { each[static_cast<size_t>(t)] = peak_gflops_one_thread(seconds); });
  for (auto& t : pool) t.join();
  double sum = 0;
  for (double v : each) sum += v;
  return sum;
}

// ---- references ----
std::vector<double> gemm_reference(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const std::vector<float>& a,
                                   const std::vector<float>& b) {
  std::vector<double> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = ta ? a[static_cast<size_t>(p * m + i)] : a[static_cast<size_t>(i * k + p)];
        const float bv = tb ? b[static_cast<size_t>(j * k + p)] : b[static_cast<size_t>(p * n + j)];
        s += static_cast<double>(av) * bv;
      }
      c[static_cast<size_t>(i * n + j)] = s;
    }
  return c;
}

// Direct convolution and its two gradients, NCHW, straight from the definition.
struct ConvReference {
  const nn::Conv2DParams& p;
  int64_t oh() const { return p.out_h(); }
  int64_t ow() const { return p.out_w(); }
  template <class F>
  void each(F f) const {  // f(n, k, oy, ox, c, ky, kx, x_index, w_index, y_index)
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t k = 0; k < p.k; ++k)
        for (int64_t oy = 0; oy < oh(); ++oy)
          for (int64_t ox = 0; ox < ow(); ++ox)
            for (int64_t c = 0; c < p.c; ++c)
              for (int64_t ky = 0; ky < p.kh; ++ky)
                for (int64_t kx = 0; kx < p.kw; ++kx) {
                  const int64_t iy = oy * p.stride_h - p.pad_top + ky, ix = ox * p.stride_w - p.pad_left + kx;
                  if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                  f(((n * p.c + c) * p.h + iy) * p.w + ix, ((k * p.c + c) * p.kh + ky) * p.kw + kx,
                    ((n * p.k + k) * oh() + oy) * ow() + ox);
                }
  }
};

void bench_gemm(Bench& b, nn::Backend& be, const std::string& name, bool ta, bool tb, int64_t m, int64_t n, int64_t k) {
  const auto a = random_vector(static_cast<size_t>(m * k), 1), bm = random_vector(static_cast<size_t>(k * n), 2);
  std::vector<float> c(static_cast<size_t>(m * n), NAN);
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  auto run = [&] { be.gemm(ta, tb, m, n, k, 1.0f, a.data(), lda, bm.data(), ldb, 0.0f, c.data(), n); };
  run();
  const std::string shape = fmt::format("{}{}x{}x{}", ta ? "T " : tb ? "N T " : "", m, n, k);
  // The 2048^3 product is checked on a sample of rows (the reference is O(n^3) in double).
  if (m * n * k > (int64_t{1} << 30)) {
    std::vector<float> got;
    std::vector<double> want;
    for (int64_t i = 0; i < m; i += 97)
      for (int64_t j = 0; j < n; j += 13) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) s += static_cast<double>(a[static_cast<size_t>(i * k + p)]) * bm[static_cast<size_t>(p * n + j)];
        got.push_back(c[static_cast<size_t>(i * n + j)]);
        want.push_back(s);
      }
    if (!b.validate("sgemm " + shape, got, want)) return;
  } else if (!b.validate("sgemm " + shape, c, gemm_reference(ta, tb, m, n, k, a, bm))) {
    return;
  }
  if (b.check_only) return;
  b.report(name, shape, "GFLOP/s", 2.0 * static_cast<double>(m * n * k) / b.time(run) / 1e9);
}

// Plans made with NN_CONV set to `provider` ("onednn" or "im2col": the CPU backend's two
// convolution kernels); the previous setting is put back.
std::shared_ptr<nn::KernelPlan> plan_with(nn::Backend& be, const nn::Conv2DParams& p, const char* provider) {
  const char* before = std::getenv("NN_CONV");
  const std::string saved = before ? before : "";
  setenv("NN_CONV", provider, 1);
  auto plan = be.plan_conv2d(p);
  if (before) setenv("NN_CONV", saved.c_str(), 1);
  else unsetenv("NN_CONV");
  return plan;
}

void bench_conv_with(Bench& b, nn::Backend& be, const std::string& name, const nn::Conv2DParams& p,
                     const std::shared_ptr<nn::KernelPlan>& plan);

// Each convolution on each kernel the backend has: rows "NAME [im2col]" and, where the default
// plan differs (oneDNN built in), "NAME [onednn]"; each is checked before it is timed.
void bench_conv(Bench& b, nn::Backend& be, const std::string& name, const nn::Conv2DParams& p) {
  const auto fallback = plan_with(be, p, "im2col");
  const auto preferred = plan_with(be, p, "onednn");
  if (preferred->describe() != fallback->describe()) {
    fmt::print("  {}: {}\n", name, preferred->describe());
    bench_conv_with(b, be, name + " [onednn]", p, preferred);
  }
  bench_conv_with(b, be, name + " [im2col]", p, fallback);
}

void bench_conv_with(Bench& b, nn::Backend& be, const std::string& name, const nn::Conv2DParams& p,
                     const std::shared_ptr<nn::KernelPlan>& plan) {
  const ConvReference ref{p};
  const size_t xs = static_cast<size_t>(p.n * p.c * p.h * p.w), ws = static_cast<size_t>(p.k * p.c * p.kh * p.kw),
               ys = static_cast<size_t>(p.n * p.k * p.out_h() * p.out_w());
  const auto x = random_vector(xs, 3), w = random_vector(ws, 4), bias = random_vector(static_cast<size_t>(p.k), 5),
             dy = random_vector(ys, 6);
  std::vector<float> y(ys, NAN), dx(xs, NAN), dw(ws, NAN), db(static_cast<size_t>(p.k), NAN);
  std::vector<double> y_ref(ys), dx_ref(xs, 0.0), dw_ref(ws, 0.0), db_ref(static_cast<size_t>(p.k), 0.0);
  for (size_t i = 0; i < ys; ++i) y_ref[i] = bias[static_cast<size_t>((static_cast<int64_t>(i) / (p.out_h() * p.out_w())) % p.k)];
  ref.each([&](int64_t xi, int64_t wi, int64_t yi) {
    y_ref[static_cast<size_t>(yi)] += static_cast<double>(x[static_cast<size_t>(xi)]) * w[static_cast<size_t>(wi)];
    dx_ref[static_cast<size_t>(xi)] += static_cast<double>(dy[static_cast<size_t>(yi)]) * w[static_cast<size_t>(wi)];
    dw_ref[static_cast<size_t>(wi)] += static_cast<double>(dy[static_cast<size_t>(yi)]) * x[static_cast<size_t>(xi)];
  });
  for (size_t i = 0; i < ys; ++i) db_ref[static_cast<size_t>((static_cast<int64_t>(i) / (p.out_h() * p.out_w())) % p.k)] += dy[i];
  const auto none = nn::Epilogue::None;
  auto forward = [&] { be.conv2d_forward(*plan, p, x.data(), w.data(), bias.data(), none, y.data()); };
  auto backward_data = [&] {
    be.conv2d_backward(*plan, p, x.data(), w.data(), nullptr, dy.data(), none, dx.data(), nullptr, nullptr);
  };
  auto backward_filter = [&] {
    be.conv2d_backward(*plan, p, x.data(), w.data(), nullptr, dy.data(), none, nullptr, dw.data(), db.data());
  };
  forward();
  backward_data();
  backward_filter();
  const std::string shape = fmt::format("{}x{}x{}x{} k{} {}x{}", p.n, p.c, p.h, p.w, p.k, p.kh, p.kw);
  const bool ok = b.validate(name + " forward", y, y_ref) && b.validate(name + " backward-data", dx, dx_ref) &&
                  b.validate(name + " backward-filter", dw, dw_ref) && b.validate(name + " backward-bias", db, db_ref);
  if (!ok || b.check_only) return;
  const double flops = 2.0 * static_cast<double>(p.n * p.k * p.out_h() * p.out_w() * p.c * p.kh * p.kw);
  b.report(name + " forward", shape, "GFLOP/s", flops / b.time(forward) / 1e9);
  b.report(name + " backward-data", shape, "GFLOP/s", flops / b.time(backward_data) / 1e9);
  b.report(name + " backward-filter", shape, "GFLOP/s", flops / b.time(backward_filter) / 1e9);
}

void bench_pool(Bench& b, nn::Backend& be, int64_t n, int64_t c, int64_t hw) {
  nn::Pool2DParams p;
  p.n = n, p.c = c, p.h = hw, p.w = hw;
  const size_t xs = static_cast<size_t>(n * c * hw * hw), ys = static_cast<size_t>(n * c * p.out_h() * p.out_w());
  const auto x = random_vector(xs, 7);
  std::vector<float> y(ys, NAN);
  std::vector<int32_t> arg(ys);
  std::vector<double> want(ys), want_arg(ys);
  for (int64_t plane = 0; plane < n * c; ++plane)
    for (int64_t oy = 0; oy < p.out_h(); ++oy)
      for (int64_t ox = 0; ox < p.out_w(); ++ox) {
        double m = -INFINITY;
        int64_t at = 0;
        for (int64_t ky = 0; ky < 2; ++ky)
          for (int64_t kx = 0; kx < 2; ++kx) {
            const int64_t i = (oy * 2 + ky) * hw + ox * 2 + kx;  // within the plane
            if (x[static_cast<size_t>(plane * hw * hw + i)] > m) m = x[static_cast<size_t>(plane * hw * hw + i)], at = i;
          }
        const auto o = static_cast<size_t>((plane * p.out_h() + oy) * p.out_w() + ox);
        want[o] = m;
        want_arg[o] = static_cast<double>(at);
      }
  auto run = [&] { be.max_pool2d_forward(p, x.data(), y.data(), arg.data()); };
  run();
  const std::string shape = fmt::format("{}x{}x{}x{} 2x2", n, c, hw, hw);
  const std::vector<float> got_arg(arg.begin(), arg.end());
  if (!b.validate("max-pool " + shape, y, want, 0.0) || !b.validate("max-pool argmax " + shape, got_arg, want_arg, 0.0) ||
      b.check_only)
    return;
  // Bytes moved: the input read, the maxima and their int32 positions written.
  b.report("max-pool forward", shape, "GB/s",
           static_cast<double>((xs + 2 * ys) * sizeof(float)) / b.time(run) / 1e9);
}

void bench_avg_pool(Bench& b, nn::Backend& be, int64_t n, int64_t c, int64_t hw) {
  nn::Pool2DParams p;  // 3x3 windows, stride 2, one cell of padding on each side ('same')
  p.n = n, p.c = c, p.h = hw, p.w = hw, p.kh = 3, p.kw = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  const int64_t oh = p.out_h(), ow = p.out_w();
  const size_t xs = static_cast<size_t>(n * c * hw * hw), ys = static_cast<size_t>(n * c * oh * ow);
  const auto x = random_vector(xs, 9), dy = random_vector(ys, 10);
  std::vector<float> y(ys, NAN), dx(xs, NAN);
  std::vector<double> want(ys), dx_want(xs, 0.0);
  for (int64_t plane = 0; plane < n * c; ++plane)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        double s = 0;
        int cells = 0;
        for (int64_t iy = oy * 2 - 1; iy < oy * 2 + 2; ++iy)
          for (int64_t ix = ox * 2 - 1; ix < ox * 2 + 2; ++ix)
            if (iy >= 0 && iy < hw && ix >= 0 && ix < hw) s += x[static_cast<size_t>((plane * hw + iy) * hw + ix)], ++cells;
        const size_t o = static_cast<size_t>((plane * oh + oy) * ow + ox);
        want[o] = s / cells;
        for (int64_t iy = oy * 2 - 1; iy < oy * 2 + 2; ++iy)
          for (int64_t ix = ox * 2 - 1; ix < ox * 2 + 2; ++ix)
            if (iy >= 0 && iy < hw && ix >= 0 && ix < hw) dx_want[static_cast<size_t>((plane * hw + iy) * hw + ix)] += dy[o] / cells;
      }
  auto forward = [&] { be.avg_pool2d_forward(p, x.data(), y.data()); };
  auto backward = [&] { be.avg_pool2d_backward(p, dy.data(), dx.data()); };
  forward();
  backward();
  const std::string shape = fmt::format("{}x{}x{}x{} 3x3/2 same", n, c, hw, hw);
  if (!b.validate("avg-pool forward " + shape, y, want) || !b.validate("avg-pool backward " + shape, dx, dx_want) ||
      b.check_only)
    return;
  b.report("avg-pool forward", shape, "GB/s", static_cast<double>((xs + ys) * sizeof(float)) / b.time(forward) / 1e9);
}

void bench_softmax_ce(Bench& b, nn::Backend& be, int64_t rows, int64_t cols) {
  const auto logits = random_vector(static_cast<size_t>(rows * cols), 8);
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  std::vector<float> probs(static_cast<size_t>(rows * cols), NAN), loss(static_cast<size_t>(rows), NAN);
  for (int64_t r = 0; r < rows; ++r) labels[static_cast<size_t>(r)] = (r * 7) % cols;
  std::vector<double> want(static_cast<size_t>(rows)), want_probs(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    double mx = -INFINITY, s = 0;
    for (int64_t j = 0; j < cols; ++j) mx = std::max(mx, static_cast<double>(logits[static_cast<size_t>(r * cols + j)]));
    for (int64_t j = 0; j < cols; ++j) s += std::exp(logits[static_cast<size_t>(r * cols + j)] - mx);
    for (int64_t j = 0; j < cols; ++j)
      want_probs[static_cast<size_t>(r * cols + j)] = std::exp(logits[static_cast<size_t>(r * cols + j)] - mx) / s;
    want[static_cast<size_t>(r)] = std::log(s) + mx - logits[static_cast<size_t>(r * cols + labels[static_cast<size_t>(r)])];
  }
  auto run = [&] { be.softmax_cross_entropy(logits.data(), nullptr, labels.data(), probs.data(), loss.data(), rows, cols); };
  run();
  const std::string shape = fmt::format("{}x{}", rows, cols);
  if (!b.validate("softmax cross-entropy " + shape, loss, want, 1e-5) ||
      !b.validate("softmax cross-entropy probabilities " + shape, probs, want_probs, 1e-5) || b.check_only)
    return;
  b.report("softmax cross-entropy", shape, "Mrows/s", static_cast<double>(rows) / b.time(run) / 1e6);
}

// A 'same' convolution of a square kernel.
nn::Conv2DParams same(int64_t n, int64_t c, int64_t hw, int64_t k, int64_t kernel) {
  nn::Conv2DParams p;
  p.n = n, p.c = c, p.h = hw, p.w = hw, p.k = k, p.kh = kernel, p.kw = kernel;
  p.pad_top = p.pad_left = (kernel - 1) / 2;
  p.pad_bottom = p.pad_right = kernel / 2;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  Bench b;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--check") b.check_only = true;
    else if (a == "--seconds" && i + 1 < argc) b.seconds = std::stod(argv[++i]);
    else if (a == "--json" && i + 1 < argc) json_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_kernels [--check] [--seconds S] [--json FILE]\n");
      return 2;
    }
  }
  {
    // The check itself first: a NaN (an element a kernel left unwritten) anywhere but last, a wrong
    // value, and a short output must each fail it.
    Bench probe;
    probe.quiet = true;
    const std::vector<double> want{1, 2, 3, 4};
    const bool accepted = probe.validate("probe: NaN first", {NAN, 2, 3, 4}, want) ||
                          probe.validate("probe: NaN inside", {1, NAN, 3, 5}, want) ||
                          probe.validate("probe: wrong value", {1, 2, 3.5f, 4}, want) ||
                          probe.validate("probe: short", {1, 2, 3}, want) ||
                          !probe.validate("probe: equal", {1, 2, 3, 4}, want);
    if (accepted) {
      std::fprintf(stderr, "bench_kernels: the result check is broken (it accepted a wrong result or refused a right one)\n");
      return 1;
    }
  }
  nn::Backend& be = nn::backend_for(nn::Device::cpu());
  fmt::print("backend: {}, {} threads\n", be.name(), nn::num_threads());
  if (!b.check_only) {
    const double peak = peak_gflops(nn::num_threads(), b.seconds);
    b.report("peak FMA throughput", fmt::format("{} threads", nn::num_threads()), "GFLOP/s", peak);
  }
  // The mlp at batch 32 (784 -> 512 -> 10): forward, and the two backward products.
  bench_gemm(b, be, "sgemm mlp dense forward", false, false, 32, 512, 784);
  bench_gemm(b, be, "sgemm mlp dense backward-data", false, true, 32, 784, 512);
  bench_gemm(b, be, "sgemm mlp dense backward-filter", true, false, 784, 512, 32);
  // The seeds' cnn at batch 50: its 3136 -> 1024 dense layer.
  bench_gemm(b, be, "sgemm cnn dense forward", false, false, 50, 1024, 3136);
  bench_gemm(b, be, "sgemm cnn dense backward-filter", true, false, 3136, 1024, 50);
  bench_gemm(b, be, "sgemm 2048^3", false, false, 2048, 2048, 2048);
  // The seeds' cnn's two convolutions at batch 50 (5x5, 'same').
  // In --check, one image more than threads: the path that shares images among the threads.
  const int64_t small_batch = nn::num_threads() + 1;
  bench_conv(b, be, "conv1 (1->32, 28x28)", same(b.check_only ? small_batch : 50, 1, 28, 32, 5));
  bench_conv(b, be, "conv2 (32->64, 14x14)", same(b.check_only ? small_batch : 50, 32, 14, 64, 5));
  // One image: fewer images than threads, the path that splits one GEMM across the threads.
  if (b.check_only) bench_conv(b, be, "conv2, one image", same(1, 32, 14, 64, 5));
  // `--model fast`'s three 3x3 convolutions at batch 128. In --check, 37 images: more than one
  // oneDNN call per thread, and a last call of another size.
  const int64_t fast_batch = b.check_only ? 37 : 128;
  bench_conv(b, be, "fast conv1 (1->16, 28x28)", same(fast_batch, 1, 28, 16, 3));
  bench_conv(b, be, "fast conv2 (16->32, 14x14)", same(fast_batch, 16, 14, 32, 3));
  bench_conv(b, be, "fast conv3 (32->64, 7x7)", same(fast_batch, 32, 7, 64, 3));
  bench_pool(b, be, 50, 32, 28);
  bench_avg_pool(b, be, 50, 32, 28);
  bench_softmax_ce(b, be, 50, 10);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << "[\n";
    for (size_t i = 0; i < b.rows.size(); ++i)
      out << fmt::format("  {{\"name\": \"{}\", \"shape\": \"{}\", \"unit\": \"{}\", \"value\": {:.3f}}}{}\n", b.rows[i].name,
                         b.rows[i].shape, b.rows[i].unit, b.rows[i].value, i + 1 < b.rows.size() ? "," : "");
    out << "]\n";
  }
  if (b.failures) {
    fmt::print("{} kernel(s) gave wrong results\n", b.failures);
    return 1;
  }
  if (b.check_only) fmt::print("all kernels agree with their references\n");
  return 0;
}
