// Image augmentation: the affine resampling and contrast ops (values by hand, gradients), the
// layers RandomRotation, RandomTranslation, RandomZoom and RandomContrast (identity outside
// training, seeded and saved, their draws' ranges and spread), and the per-image functions.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "gradcheck.hpp"
#include "nn/nn.hpp"
#include "temp_dir.hpp"

using namespace nn;
using namespace nn::test;

namespace {

constexpr float kPi = 3.14159265358979f;

// A (1, 1, h, w) image, zero but for one pixel of 1 at (row, col).
Tensor dot(int64_t h, int64_t w, int64_t row, int64_t col) {
  std::vector<float> v(static_cast<size_t>(h * w), 0.0f);
  v[static_cast<size_t>(row * w + col)] = 1.0f;
  return Tensor::from_vector({1, 1, h, w}, v);
}

// The intensity-weighted centre (row, col) of image k of a batch (N, 1, H, W).
std::pair<double, double> centroid(const Tensor& batch, int64_t k) {
  const int64_t h = batch.dim(2), w = batch.dim(3);
  const auto v = batch.to_vector();
  double sum = 0, r = 0, c = 0;
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      const double p = v[static_cast<size_t>((k * h + i) * w + j)];
      sum += p, r += p * static_cast<double>(i), c += p * static_cast<double>(j);
    }
  return {r / sum, c / sum};
}

// The same dot image, n times: (n, 1, h, w).
Tensor dots(int64_t n, int64_t h, int64_t w, int64_t row, int64_t col) {
  std::vector<float> v(static_cast<size_t>(n * h * w), 0.0f);
  for (int64_t k = 0; k < n; ++k) v[static_cast<size_t>((k * h + row) * w + col)] = 1.0f;
  return Tensor::from_vector({n, 1, h, w}, v);
}


}  // namespace

TEST_CASE("affine_transform: translation, rotation and zoom move a pixel where they should, with the fill outside") {
  // The content moves 2 rows down and 1 column right: the pixel at (3, 4) goes to (5, 5).
  Tensor y = affine_transform(Variable(dot(9, 9, 3, 4)), {translation_map(2, 1)}).value();
  CHECK(y.at({0, 0, 5, 5}) == doctest::Approx(1.0f));
  CHECK(centroid(y, 0) == std::pair<double, double>{5.0, 5.0});
  // A quarter turn counter-clockwise about the centre (4, 4): a pixel to the right of the centre
  // (row 4, col 7) goes above it (row 1, col 4).
  y = affine_transform(Variable(dot(9, 9, 4, 7)), {rotation_map(kPi / 2, 9, 9)}).value();
  CHECK(y.at({0, 0, 1, 4}) == doctest::Approx(1.0f).epsilon(1e-4));
  // Zooming in (z = -0.5): the content doubles, a pixel 2 right of the centre spreads to 4 right.
  y = affine_transform(Variable(dot(9, 9, 4, 6)), {zoom_map(-0.5f, -0.5f, 9, 9)}).value();
  const auto [r, c] = centroid(y, 0);
  CHECK(r == doctest::Approx(4.0));
  CHECK(c == doctest::Approx(8.0).epsilon(0.05));
  // Half a pixel: bilinear weights; outside the image, the fill.
  y = affine_transform(Variable(dot(3, 3, 1, 1)), {translation_map(0, 0.5f)}, 7.0f).value();
  CHECK(y.at({0, 0, 1, 1}) == doctest::Approx(0.5f));
  CHECK(y.at({0, 0, 1, 2}) == doctest::Approx(0.5f));
  CHECK(y.at({0, 0, 0, 0}) == doctest::Approx(3.5f));  // half from column -1: the fill
  // Rotation by 2π is the identity; compose(a, b) is b then a.
  Generator g(4);
  const Tensor img = random_tensor({1, 1, 6, 7}, g);
  CHECK(max_abs_diff(affine_transform(Variable(img), {rotation_map(2 * kPi, 6, 7)}).value(), img) < 1e-4f);
  const AffineMap shift = translation_map(1, 0), turn = rotation_map(0.4f, 6, 7);
  // Resampling twice blurs where resampling once does not: compare the centres of a dot.
  const Tensor d = dot(15, 15, 5, 9);
  const auto a = centroid(affine_transform(Variable(d), {compose(turn, shift)}).value(), 0);
  const auto b = centroid(affine_transform(affine_transform(Variable(d), {shift}), {turn}).value(), 0);
  CHECK(a.first == doctest::Approx(b.first).epsilon(1e-3));
  CHECK(a.second == doctest::Approx(b.second).epsilon(1e-3));
  CHECK(std::hypot(a.first - 5.0, a.second - 9.0) > 0.5);  // the composite did move the dot
  CHECK_THROWS_WITH_AS(affine_transform(Variable(Tensor::zeros({2, 5})), {translation_map(0, 0), translation_map(0, 0)}),
                       doctest::Contains("(N, C, H, W) or (N, H, W)"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(affine_transform(Variable(Tensor::zeros({2, 3, 3})), {translation_map(0, 0)}),
                       doctest::Contains("1 parameters for a batch of 2"), std::invalid_argument);
}

TEST_CASE("affine_transform and adjust_contrast: gradients") {
  Generator g(8);
  const std::vector<AffineMap> maps{rotation_map(0.3f, 5, 6), compose(zoom_map(0.2f, -0.1f, 5, 6), translation_map(0.7f, -1.2f))};
  CHECK(gradcheck([&](auto& in) { return affine_transform(in[0], maps, 0.5f); }, {random_tensor({2, 2, 5, 6}, g)}) == 0);
  CHECK(gradcheck([&](auto& in) { return affine_transform(in[0], {maps[1]}); }, {random_tensor({1, 5, 6}, g)}) == 0);
  // Contrast: values in (0.2, 0.8) so that no clip sits at a kink; then a range that clips some.
  CHECK(gradcheck([](auto& in) { return adjust_contrast(in[0], {1.3f, 0.6f}, 0.0f, 1.0f); },
                  {random_tensor({2, 2, 4, 4}, g, 0.2f, 0.8f)}) == 0);
  const Tensor y = adjust_contrast(Variable(random_tensor({1, 4, 4}, g, 0.0f, 1.0f)), {3.0f}, 0.1f, 0.9f).value();
  for (float v : y.to_vector()) CHECK((v >= 0.1f && v <= 0.9f));
}

TEST_CASE("adjust_contrast scales each channel's deviation from its mean") {
  const Tensor x = Tensor::from_vector({1, 2, 1, 2}, std::vector<float>{0.2f, 0.4f, 0.5f, 0.9f});
  const auto y = adjust_contrast(Variable(x), {2.0f}, 0.0f, 1.0f).value().to_vector();
  CHECK(y[0] == doctest::Approx(0.1f));  // mean 0.3: 0.3 - 2 * 0.1
  CHECK(y[1] == doctest::Approx(0.5f));
  CHECK(y[2] == doctest::Approx(0.3f));  // mean 0.7
  CHECK(y[3] == doctest::Approx(1.0f));  // 1.1, clipped
  CHECK_THROWS_AS(adjust_contrast(Variable(x), {-1.0f}, 0.0f, 1.0f), std::invalid_argument);
  CHECK_THROWS_AS(adjust_contrast(Variable(x), {1.0f}, 1.0f, 0.0f), std::invalid_argument);
}

TEST_CASE("the augmentation layers pass their input through outside training, seeded, saved and loaded") {
  Sequential m;
  m.add(Input({1, 12, 12}));
  m.add<RandomRotation>(RandomRotationOptions(0.05f).seed(uint64_t{1}));
  m.add<RandomTranslation>(RandomTranslationOptions(0.1f, 0.2f).seed(uint64_t{2}));
  m.add<RandomZoom>(RandomZoomOptions(0.1f).width_factor(0.2f).seed(uint64_t{3}));
  m.add<RandomContrast>(RandomContrastOptions(0.3f).value_max(1.0f).seed(uint64_t{4}));
  m.add<Flatten>();
  m.add<Dense>(3, "softmax");
  Generator g(5);
  const Tensor x = random_tensor({4, 1, 12, 12}, g, 0.0f, 1.0f);
  // predict: the layers are the identity (the same storage, not a copy).
  for (size_t i = 0; i < 4; ++i) {
    const Variable in(x);
    CHECK(m.layers()[i]->call({in}, false).value().same_storage(x));
  }
  // training: changed, differently for each image, and the same again from the same seeds.
  const Variable in(x);
  Tensor a = m.layers()[0]->call({in}, true).value();
  CHECK(max_abs_diff(a, x) > 0.01f);
  TempDir dir;
  const std::string path = (dir.path / "augmented.nn").string();
  m.compile("adam", "sparse_categorical_crossentropy");
  m.save(path);  // the generators' states after one draw travel with the model
  Model back = load_model(path);
  REQUIRE(back.layers().size() == m.layers().size());
  CHECK(back.layers()[1]->type() == "RandomTranslation");
  CHECK(back.layers()[2]->config() == m.layers()[2]->config());
  for (size_t i = 0; i < 4; ++i) {
    const Tensor mine = m.layers()[i]->call({in}, true).value(), theirs = back.layers()[i]->call({in}, true).value();
    CHECK(max_abs_diff(mine, theirs) == 0.0f);
  }
  CHECK(max_abs_diff(back.predict(x), m.predict(x)) == 0.0f);
  // Bad options name the layer.
  CHECK_THROWS_WITH_AS(RandomRotation(RandomRotationOptions(1.5f)), doctest::Contains("factor must be in [0, 1]"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(RandomZoom(RandomZoomOptions(1.0f)), doctest::Contains("height_factor"), std::invalid_argument);
  Sequential flat;
  flat.add(Input({10}));
  CHECK_THROWS_WITH_AS(flat.add<RandomRotation>(RandomRotationOptions(0.1f)), doctest::Contains("(C, H, W) or (H, W)"),
                       std::invalid_argument);
}

TEST_CASE("the augmentation layers' draws: within their ranges, and spread over them") {
  // 400 copies of one dot, transformed once each; the dot's new place measures the draw.
  const int64_t n = 400, h = 41, w = 41;
  const Variable x(dots(n, h, w, 20, 30));  // 10 columns right of the centre (20, 20)
  SUBCASE("rotation: angles in [-factor, factor] x 360 degrees") {
    RandomRotation layer(RandomRotationOptions(0.1f).seed(uint64_t{9}));  // ±36°
    const Tensor y = layer.call({x}, true).value();
    double lo = 1e9, hi = -1e9, sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      const auto [r, c] = centroid(y, k);
      const double angle = std::atan2(-(r - 20.0), c - 20.0) * 180.0 / kPi;  // counter-clockwise, as seen
      lo = std::min(lo, angle), hi = std::max(hi, angle), sum += angle;
    }
    CHECK(lo >= -36.5);
    CHECK(hi <= 36.5);
    CHECK(lo < -32);  // uniform: 400 draws come near both ends ...
    CHECK(hi > 32);
    CHECK(std::fabs(sum / n) < 4);  // ... and centre on zero
  }
  SUBCASE("translation: shifts in [-f, f] x the height and width") {
    RandomTranslation layer(RandomTranslationOptions(0.1f, 0.05f).seed(uint64_t{10}));  // ±4.1 rows, ±2.05 columns
    const Tensor y = layer.call({x}, true).value();
    double rlo = 1e9, rhi = -1e9, clo = 1e9, chi = -1e9;
    for (int64_t k = 0; k < n; ++k) {
      const auto [r, c] = centroid(y, k);
      rlo = std::min(rlo, r - 20), rhi = std::max(rhi, r - 20), clo = std::min(clo, c - 30), chi = std::max(chi, c - 30);
    }
    CHECK(rlo >= -4.15);
    CHECK(rhi <= 4.15);
    CHECK(clo >= -2.1);
    CHECK(chi <= 2.1);
    CHECK(rlo < -3.6);
    CHECK(rhi > 3.6);
    CHECK(clo < -1.8);
    CHECK(chi > 1.8);
  }
  SUBCASE("zoom: the dot's distance from the centre scales by 1 / (1 + z), z in [-f, f]") {
    RandomZoom layer(RandomZoomOptions(0.2f).seed(uint64_t{11}));
    const Tensor y = layer.call({x}, true).value();
    double lo = 1e9, hi = -1e9;
    for (int64_t k = 0; k < n; ++k) {
      const auto [r, c] = centroid(y, k);
      CHECK(r == doctest::Approx(20.0).epsilon(1e-3));  // the aspect kept: the dot stays on its row
      lo = std::min(lo, (c - 20) / 10), hi = std::max(hi, (c - 20) / 10);
    }
    CHECK(lo >= 1 / 1.2 - 0.02);
    CHECK(hi <= 1 / 0.8 + 0.02);
    CHECK(lo < 1 / 1.2 + 0.03);
    CHECK(hi > 1 / 0.8 - 0.05);
  }
  SUBCASE("contrast: factors in [1 - f, 1 + f]") {
    RandomContrast layer(RandomContrastOptions(0.5f).value_max(1.0f).seed(uint64_t{12}));
    std::vector<float> v;
    for (int64_t k = 0; k < n; ++k) v.insert(v.end(), {0.4f, 0.6f});
    const auto y = layer.call({Variable(Tensor::from_vector({n, 1, 1, 2}, v))}, true).value().to_vector();
    double lo = 1e9, hi = -1e9;
    for (int64_t k = 0; k < n; ++k) {
      const double f = (y[static_cast<size_t>(2 * k + 1)] - y[static_cast<size_t>(2 * k)]) / 0.2;
      lo = std::min(lo, f), hi = std::max(hi, f);
    }
    CHECK(lo >= 0.5 - 1e-4);
    CHECK(hi <= 1.5 + 1e-4);
    CHECK(lo < 0.55);
    CHECK(hi > 1.45);
  }
}

TEST_CASE("the per-image augment functions: the layers' transforms on one image of any dtype") {
  // A uint8 MNIST-like image (28, 28) with a dot: rotate, translate, zoom keep its values' scale.
  std::vector<uint8_t> bytes(28 * 28, 0);
  bytes[10 * 28 + 20] = 255;
  const Tensor img = Tensor::from_vector({28, 28}, std::vector<float>(bytes.begin(), bytes.end())).to(kUInt8);
  const Tensor moved = data::translate(img, 3, -2);
  CHECK(moved.dtype() == kFloat32);
  CHECK(moved.shape() == Shape{28, 28});
  CHECK(moved.at({13, 18}) == doctest::Approx(255.0f));
  const Tensor turned = data::rotate(img, kPi);  // half a turn about (13.5, 13.5): (10, 20) -> (17, 7)
  CHECK(turned.at({17, 7}) == doctest::Approx(255.0f).epsilon(1e-3));
  const Tensor three = data::zoom(Tensor::ones({3, 8, 8}), 0.5f, 0.5f);  // zoomed out: black borders
  CHECK(three.shape() == Shape{3, 8, 8});
  CHECK(three.at({2, 0, 0}) == 0.0f);
  CHECK(three.at({2, 4, 4}) == 1.0f);
  Generator g(3);
  for (int i = 0; i < 50; ++i) {
    const auto [r, c] = centroid(data::random_translation(img, 0.1f, 0.1f, g).to(kFloat32).reshape({1, 1, 28, 28}), 0);
    CHECK(std::fabs(r - 10) <= 2.81);
    CHECK(std::fabs(c - 20) <= 2.81);
  }
  const auto cv = data::adjust_contrast(Tensor::from_vector({1, 2}, std::vector<float>{0.4f, 0.6f}), 2.0f).to_vector();
  CHECK(cv[0] == doctest::Approx(0.3f));
  CHECK(cv[1] == doctest::Approx(0.7f));
  CHECK_THROWS_WITH_AS(data::rotate(Tensor::zeros({5}), 1.0f), doctest::Contains("an image is (H, W) or (C, H, W)"),
                       std::invalid_argument);
}

TEST_CASE("augmentation rows: each replica's images draw the global batch's transforms") {
  // A global batch of 6 images; replica r of 2 holds images r, r + 2, r + 4.
  Generator g(6);
  const Tensor global = random_tensor({6, 1, 8, 8}, g, 0.0f, 1.0f);
  RandomTranslation whole(RandomTranslationOptions(0.2f, 0.2f).seed(uint64_t{5}));
  const Tensor expected = whole.call({Variable(global)}, true).value();
  for (int64_t r = 0; r < 2; ++r) {
    RandomTranslation replica(RandomTranslationOptions(0.2f, 0.2f).seed(uint64_t{5}));
    replica.set_rows({r, 2});
    std::vector<float> mine;
    for (int64_t j = 0; j < 3; ++j) {
      const auto row = global.slice(r + 2 * j, r + 2 * j + 1).to_vector();
      mine.insert(mine.end(), row.begin(), row.end());
    }
    const Tensor out = replica.call({Variable(Tensor::from_vector({3, 1, 8, 8}, mine))}, true).value();
    for (int64_t j = 0; j < 3; ++j)
      CHECK(max_abs_diff(out.slice(j, j + 1), expected.slice(r + 2 * j, r + 2 * j + 1)) == 0.0f);
  }
  RandomTranslation bad(RandomTranslationOptions(0.1f, 0.1f));
  CHECK_THROWS_WITH_AS(bad.set_rows({2, 2}), doctest::Contains("0 <= first < stride"), std::invalid_argument);
}
