// Initializers as Keras defines them: statistics, seeds, specs and errors.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "nn/nn.hpp"

using namespace nn;

namespace {
struct Stats {
  double mean = 0, var = 0, max_abs = 0;
};
Stats stats(const Tensor& t) {
  Stats s;
  const auto v = t.to_vector();
  for (float x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (float x : v) {
    s.var += (x - s.mean) * (x - s.mean);
    s.max_abs = std::max(s.max_abs, static_cast<double>(std::fabs(x)));
  }
  s.var /= static_cast<double>(v.size());
  return s;
}
}  // namespace

TEST_CASE("random initializers have Keras's distributions") {
  Generator g(3);
  const Shape shape{300, 400};
  Stats n = stats(RandomNormal(0.5, 0.2)(shape, 300, 400, g));
  CHECK(n.mean == doctest::Approx(0.5).epsilon(0.01));
  CHECK(n.var == doctest::Approx(0.04).epsilon(0.03));
  Stats u = stats(RandomUniform(-0.3, 0.1)(shape, 300, 400, g));
  CHECK(u.mean == doctest::Approx(-0.1).epsilon(0.02));
  CHECK(u.var == doctest::Approx(0.16 / 12).epsilon(0.03));
  Stats t = stats(TruncatedNormal(0.0, 0.1)(shape, 300, 400, g));
  CHECK(t.max_abs <= 0.2 + 1e-6);                                // two standard deviations
  CHECK(t.var == doctest::Approx(0.01 * 0.7737).epsilon(0.03));  // a truncated normal's variance
  // Variance scaling: variance = scale / fan, the truncated normal corrected for its truncation.
  CHECK(stats(HeNormal()(shape, 300, 400, g)).var == doctest::Approx(2.0 / 300).epsilon(0.03));
  CHECK(stats(LecunNormal()(shape, 300, 400, g)).var == doctest::Approx(1.0 / 300).epsilon(0.03));
  CHECK(stats(GlorotNormal()(shape, 300, 400, g)).var == doctest::Approx(2.0 / 700).epsilon(0.03));
  CHECK(stats(GlorotUniform()(shape, 300, 400, g)).var == doctest::Approx(2.0 / 700).epsilon(0.03));
  CHECK(stats(HeUniform()(shape, 300, 400, g)).var == doctest::Approx(2.0 / 300).epsilon(0.03));
  CHECK(stats(VarianceScaling(3.0, "fan_out", "untruncated_normal")(shape, 300, 400, g)).var ==
        doctest::Approx(3.0 / 400).epsilon(0.03));
  CHECK(Constant(0.1)({3}, 1, 1, g).to_vector() == std::vector<float>(3, 0.1f));
}

TEST_CASE("a seeded initializer gives the same values every time - an unseeded one does not") {
  Generator g(5);
  const auto a = TruncatedNormal(0.0, 0.1, 42)({10}, 1, 1, g).to_vector();
  const auto b = TruncatedNormal(0.0, 0.1, 42)({10}, 1, 1, g).to_vector();
  CHECK(a == b);
  const auto c = TruncatedNormal(0.0, 0.1)({10}, 1, 1, g).to_vector();
  const auto d = TruncatedNormal(0.0, 0.1)({10}, 1, 1, g).to_vector();
  CHECK(c != d);
}

TEST_CASE("Orthogonal gives orthonormal columns (or rows, for a wide shape)") {
  Generator g(9);
  for (Shape shape : {Shape{8, 5}, Shape{5, 8}}) {
    const auto q = Orthogonal(2.0)(shape, 1, 1, g).to_vector();
    const int64_t rows = shape[0], cols = shape[1];
    const bool tall = rows >= cols;
    const int64_t k = tall ? cols : rows, n = tall ? rows : cols;
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < k; ++j) {
        double dot = 0;
        for (int64_t t = 0; t < n; ++t)
          dot += tall ? q[t * cols + i] * q[t * cols + j] : q[i * cols + t] * q[j * cols + t];
        CHECK(dot == doctest::Approx(i == j ? 4.0 : 0.0).epsilon(1e-4).scale(1.0));
      }
  }
}

TEST_CASE("initializers by name and spec round-trip") {
  for (const std::string spec :
       {"zeros", "ones", "constant(value=0.1)", "random_normal(mean=0, stddev=0.01, seed=7)",
        "random_uniform(minval=-1, maxval=1)", "truncated_normal(mean=0, stddev=0.1)",
        "variance_scaling(scale=2, mode=fan_out, distribution=uniform)", "glorot_uniform",
        "he_normal(seed=3)", "lecun_uniform", "orthogonal(gain=1)", "identity(gain=2)"}) {
    CAPTURE(spec);
    const auto init = get_initializer(spec);
    CHECK(get_initializer(init->spec())->spec() == init->spec());
  }
  CHECK(get_initializer("truncated_normal(stddev=0.1)")->spec() == "truncated_normal(mean=0, stddev=0.1)");
  CHECK_THROWS_WITH_AS(get_initializer("xavier"),
                       doctest::Contains("unknown initializer 'xavier' (expected zeros, ones"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(get_initializer("random_normal(sigma=1)"),
                       doctest::Contains("unknown argument 'sigma'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(get_initializer("constant(value=abc)"),
                       doctest::Contains("value=abc is not a finite number"), std::invalid_argument);
}

TEST_CASE("layers take initializers as objects or names, and name the one at fault") {
  Dense d(DenseOptions(4).kernel_initializer(TruncatedNormal(0.0, 0.1, 1)).bias_initializer(Constant(0.1)));
  d.build({3});
  CHECK(d.bias().value().to_vector() == std::vector<float>(4, 0.1f));
  for (float v : d.kernel().value().to_vector()) CHECK(std::fabs(v) <= 0.2f);
  // The spec is what the config (and so a saved model) keeps.
  CHECK(std::get<std::string>(d.config().at("kernel_initializer")) ==
        "truncated_normal(mean=0, stddev=0.1, seed=1)");
  LayerPtr copy = create_layer("Dense", d.config());
  copy->build({3});
  CHECK(copy->parameters()[0].value().to_vector() ==
        d.kernel().value().to_vector());  // same seed, same values
  CHECK_THROWS_WITH_AS(Dense(DenseOptions(4).bias_initializer("zeroes")),
                       doctest::Contains("unknown initializer 'zeroes'"), std::invalid_argument);
  Dense bad(DenseOptions(4).kernel_initializer("identity"));
  CHECK_THROWS_WITH_AS(bad.build({3}), doctest::Contains("kernel: Identity: needs a square 2-d shape"),
                       std::invalid_argument);
}
