// The CPU backend's two convolution kernels: oneDNN's (where nn is built with it) against
// im2col's, which test_backend.cpp checks against a direct convolution. Every direction, every
// fused activation, with and without bias, strides, uneven padding, channel counts that are not
// multiples of 16, one image, and batches large enough for several oneDNN calls per thread.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.hpp"
#include "gradcheck.hpp"

using namespace nn;

namespace {

// Relative to the largest value: the two sum up to 800 products in different orders (float), as
// bench_kernels allows each kernel against its double-precision reference.
constexpr double kTolerance = 1e-4;

Conv2DParams geometry(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t kh, int64_t kw, int64_t stride,
                      int64_t top, int64_t bottom, int64_t left, int64_t right) {
  Conv2DParams p;
  p.n = n, p.c = c, p.h = h, p.w = w, p.k = k, p.kh = kh, p.kw = kw;
  p.stride_h = p.stride_w = stride;
  p.pad_top = top, p.pad_bottom = bottom, p.pad_left = left, p.pad_right = right;
  return p;
}

// Largest difference relative to the largest magnitude of `want`.
double relative_error(const Tensor& got, const Tensor& want) {
  double scale = 1e-30, worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) scale = std::max(scale, std::fabs(double(want.data()[i])));
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double e = std::fabs(double(got.data()[i]) - double(want.data()[i]));
    worst = std::isnan(e) ? INFINITY : std::max(worst, e);
  }
  return worst / scale;
}

const char* name(Epilogue act) {
  switch (act) {
    case Epilogue::None: return "none";
    case Epilogue::Relu: return "relu";
    case Epilogue::Sigmoid: return "sigmoid";
    case Epilogue::Tanh: return "tanh";
  }
  return "?";
}

void compare_providers(const Conv2DParams& p, Generator& gen) {
  Backend& be = backend_for(Device::cpu());
  const auto onednn = detail::make_cpu_conv_plan(p, detail::ConvProvider::Onednn);
  const auto im2col = detail::make_cpu_conv_plan(p, detail::ConvProvider::Im2col);
  INFO("oneDNN plan: " << onednn->describe());
  REQUIRE(onednn->describe().rfind("oneDNN", 0) == 0);  // the provider really runs
  CHECK(im2col->describe() == "im2col + OpenBLAS");
  const Shape x_shape{p.n, p.c, p.h, p.w}, w_shape{p.k, p.c, p.kh, p.kw}, y_shape{p.n, p.k, p.out_h(), p.out_w()};
  const Tensor x = test::random_tensor(x_shape, gen), w = test::random_tensor(w_shape, gen);
  const Tensor bias = test::random_tensor({p.k}, gen), dy = test::random_tensor(y_shape, gen);
  for (Epilogue act : {Epilogue::None, Epilogue::Relu, Epilogue::Sigmoid, Epilogue::Tanh})
    for (bool with_bias : {true, false}) {
      CAPTURE(std::string(name(act)));
      CAPTURE(with_bias);
      Tensor y1 = Tensor::full(y_shape, NAN), y2 = Tensor::full(y_shape, NAN);
      be.conv2d_forward(*onednn, p, x.data(), w.data(), with_bias ? bias.data() : nullptr, act, y1.data());
      be.conv2d_forward(*im2col, p, x.data(), w.data(), with_bias ? bias.data() : nullptr, act, y2.data());
      CHECK(relative_error(y1, y2) <= kTolerance);
      if (!with_bias) continue;
      // Backward: everything, then each gradient alone (the others not wanted).
      for (int wanted : {7, 1, 2, 4}) {
        CAPTURE(wanted);
        Tensor dx1 = Tensor::full(x_shape, NAN), dw1 = Tensor::full(w_shape, NAN), db1 = Tensor::full({p.k}, NAN);
        Tensor dx2 = Tensor::full(x_shape, NAN), dw2 = Tensor::full(w_shape, NAN), db2 = Tensor::full({p.k}, NAN);
        be.conv2d_backward(*onednn, p, x.data(), w.data(), y2.data(), dy.data(), act, wanted & 1 ? dx1.data() : nullptr,
                           wanted & 2 ? dw1.data() : nullptr, wanted & 4 ? db1.data() : nullptr);
        be.conv2d_backward(*im2col, p, x.data(), w.data(), y2.data(), dy.data(), act, wanted & 1 ? dx2.data() : nullptr,
                           wanted & 2 ? dw2.data() : nullptr, wanted & 4 ? db2.data() : nullptr);
        if (wanted & 1) CHECK(relative_error(dx1, dx2) <= kTolerance);
        if (wanted & 2) CHECK(relative_error(dw1, dw2) <= kTolerance);
        if (wanted & 4) CHECK(relative_error(db1, db2) <= kTolerance);
      }
    }
}

}  // namespace

TEST_CASE("oneDNN convolutions equal im2col's in every direction, activation and geometry") {
  Generator gen(21);
  const int before = num_threads();
  for (int threads : {1, 2, 3}) {
    CAPTURE(threads);
    set_num_threads(threads);
    // one image; 3 images (fewer or more than the threads); 'same' 3x3
    compare_providers(geometry(1, 16, 9, 9, 16, 3, 3, 1, 1, 1, 1, 1), gen);
    compare_providers(geometry(3, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1), gen);
    // channels not in whole blocks of 16; stride 2; a 4x4 kernel with uneven padding; not square
    compare_providers(geometry(4, 20, 8, 7, 24, 4, 4, 2, 1, 2, 1, 2), gen);
    // 5x5 'same' as in the seeds' cnn; no padding
    compare_providers(geometry(2, 32, 10, 10, 40, 5, 5, 1, 2, 2, 2, 2), gen);
    compare_providers(geometry(5, 16, 6, 6, 8, 3, 3, 1, 0, 0, 0, 0), gen);
    // over 32 images per thread: several oneDNN calls, the last one shorter
    compare_providers(geometry(3 * 35 + 1, 16, 5, 5, 16, 3, 3, 1, 1, 1, 1, 1), gen);
  }
  set_num_threads(before);
}
