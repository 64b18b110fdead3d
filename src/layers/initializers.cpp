#include "nn/layers/initializers.hpp"

#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace nn {
namespace {

// The stddev of a standard normal truncated to [-2, 2]: dividing by it gives the truncated
// distribution the variance asked for (Keras's constant).
constexpr double kTruncatedStddev = 0.87962566103423978;

float truncated_unit_normal(Generator& gen) {
  for (;;) {
    const float z = gen.normal();
    if (std::fabs(z) <= 2.0f) return z;
  }
}

Tensor filled(const Shape& shape, const std::function<float()>& draw) {
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (auto& x : v) x = draw();
  return Tensor::from_vector(shape, v);
}

// ---------------------------------------------------------------- specs: "name(key=value, ...)"

struct Spec {
  std::string name;
  std::map<std::string, std::string> args;
  std::string text;

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("initializer '" + text + "': " + what);
  }
  double number(const std::string& key, double fallback) {
    auto it = args.find(key);
    if (it == args.end()) return fallback;
    const std::string v = it->second;
    args.erase(it);
    size_t used = 0;
    double d = 0.0;
    try {
      d = std::stod(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || !std::isfinite(d)) fail(key + "=" + v + " is not a finite number");
    return d;
  }
  std::string word(const std::string& key, const std::string& fallback) {
    auto it = args.find(key);
    if (it == args.end()) return fallback;
    std::string v = it->second;
    args.erase(it);
    return v;
  }
  std::optional<uint64_t> seed() {
    auto it = args.find("seed");
    if (it == args.end()) return std::nullopt;
    const std::string v = it->second;
    args.erase(it);
    size_t used = 0;
    unsigned long long s = 0;
    try {
      s = std::stoull(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size() || v[0] == '-') fail("seed=" + v + " is not a non-negative integer");
    return static_cast<uint64_t>(s);
  }
  void done() const {
    if (!args.empty()) fail("unknown argument '" + args.begin()->first + "'");
  }
};

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

Spec parse_spec(const std::string& text) {
  Spec s;
  s.text = text;
  const size_t open = text.find('(');
  s.name = trim(text.substr(0, open));
  if (open == std::string::npos) return s;
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close < open || !trim(text.substr(close + 1)).empty())
    s.fail("expected name(key=value, ...)");
  const std::string inner = text.substr(open + 1, close - open - 1);
  size_t at = 0;
  while (at < inner.size() && !trim(inner.substr(at)).empty()) {
    const size_t comma = std::min(inner.find(',', at), inner.size());
    const std::string item = inner.substr(at, comma - at);
    const size_t eq = item.find('=');
    if (eq == std::string::npos) s.fail("expected key=value, got '" + trim(item) + "'");
    std::string value = trim(item.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    s.args[trim(item.substr(0, eq))] = value;
    at = comma + 1;
  }
  return s;
}

std::string num(double v) { return fmt::format("{}", v); }

const char* kKnown =
    "zeros, ones, constant, random_normal, random_uniform, truncated_normal, variance_scaling, "
    "glorot_normal, "
    "glorot_uniform, he_normal, he_uniform, lecun_normal, lecun_uniform, orthogonal, identity";

}  // namespace

// ---------------------------------------------------------------- AnyInitializer

AnyInitializer::AnyInitializer(const char* spec) : impl_(get_initializer(spec)) {}
AnyInitializer::AnyInitializer(const std::string& spec) : impl_(get_initializer(spec)) {}
AnyInitializer::AnyInitializer(std::shared_ptr<const Initializer> init) : impl_(std::move(init)) {
  if (!impl_) throw std::invalid_argument("initializer: null");
}

std::shared_ptr<const Initializer> get_initializer(const std::string& text) {
  Spec s = parse_spec(text);
  std::shared_ptr<const Initializer> init;
  const std::string& n = s.name;
  if (n == "zeros")
    init = std::make_shared<Zeros>();
  else if (n == "ones")
    init = std::make_shared<Ones>();
  else if (n == "constant")
    init = std::make_shared<Constant>(s.number("value", 0.0));
  else if (n == "random_normal") {
    const double mean = s.number("mean", 0.0), stddev = s.number("stddev", 0.05);
    init = std::make_shared<RandomNormal>(mean, stddev, s.seed());
  } else if (n == "random_uniform") {
    const double lo = s.number("minval", -0.05), hi = s.number("maxval", 0.05);
    init = std::make_shared<RandomUniform>(lo, hi, s.seed());
  } else if (n == "truncated_normal") {
    const double mean = s.number("mean", 0.0), stddev = s.number("stddev", 0.05);
    init = std::make_shared<TruncatedNormal>(mean, stddev, s.seed());
  } else if (n == "variance_scaling") {
    const double scale = s.number("scale", 1.0);
    const std::string mode = s.word("mode", "fan_in"), dist = s.word("distribution", "truncated_normal");
    init = std::make_shared<VarianceScaling>(scale, mode, dist, s.seed());
  } else if (n == "glorot_normal")
    init = std::make_shared<GlorotNormal>(s.seed());
  else if (n == "glorot_uniform")
    init = std::make_shared<GlorotUniform>(s.seed());
  else if (n == "he_normal")
    init = std::make_shared<HeNormal>(s.seed());
  else if (n == "he_uniform")
    init = std::make_shared<HeUniform>(s.seed());
  else if (n == "lecun_normal")
    init = std::make_shared<LecunNormal>(s.seed());
  else if (n == "lecun_uniform")
    init = std::make_shared<LecunUniform>(s.seed());
  else if (n == "orthogonal") {
    const double gain = s.number("gain", 1.0);
    init = std::make_shared<Orthogonal>(gain, s.seed());
  } else if (n == "identity")
    init = std::make_shared<Identity>(s.number("gain", 1.0));
  else
    throw std::invalid_argument("unknown initializer '" + text + "' (expected " + kKnown +
                                "; arguments as name(key=value, ...))");
  s.done();
  return init;
}

// ---------------------------------------------------------------- the initializers

Tensor Zeros::operator()(const Shape& shape, int64_t, int64_t, Generator&) const {
  return Tensor::zeros(shape);
}
Tensor Ones::operator()(const Shape& shape, int64_t, int64_t, Generator&) const {
  return Tensor::ones(shape);
}

Tensor Constant::operator()(const Shape& shape, int64_t, int64_t, Generator&) const {
  return Tensor::full(shape, static_cast<float>(value_));
}
std::string Constant::spec() const { return "constant(value=" + num(value_) + ")"; }

Generator& RandomInitializer::generator(Generator& given, Generator& own) const {
  if (!seed_) return given;
  own.seed(*seed_);
  return own;
}
std::string RandomInitializer::seed_spec() const { return seed_ ? fmt::format(", seed={}", *seed_) : ""; }

RandomNormal::RandomNormal(double mean, double stddev, std::optional<uint64_t> seed)
    : RandomInitializer(seed), mean_(mean), stddev_(stddev) {
  if (!(stddev >= 0.0) || !std::isfinite(mean) || !std::isfinite(stddev))
    throw std::invalid_argument("RandomNormal: stddev must be finite and >= 0, mean finite");
}
Tensor RandomNormal::operator()(const Shape& shape, int64_t, int64_t, Generator& given) const {
  Generator own;
  Generator& g = generator(given, own);
  return filled(shape, [&] { return static_cast<float>(mean_ + stddev_ * g.normal()); });
}
std::string RandomNormal::spec() const {
  return "random_normal(mean=" + num(mean_) + ", stddev=" + num(stddev_) + seed_spec() + ")";
}

RandomUniform::RandomUniform(double minval, double maxval, std::optional<uint64_t> seed)
    : RandomInitializer(seed), minval_(minval), maxval_(maxval) {
  if (!(minval <= maxval) || !std::isfinite(minval) || !std::isfinite(maxval))
    throw std::invalid_argument("RandomUniform: needs finite minval <= maxval");
}
Tensor RandomUniform::operator()(const Shape& shape, int64_t, int64_t, Generator& given) const {
  Generator own;
  Generator& g = generator(given, own);
  return filled(shape, [&] { return g.uniform(static_cast<float>(minval_), static_cast<float>(maxval_)); });
}
std::string RandomUniform::spec() const {
  return "random_uniform(minval=" + num(minval_) + ", maxval=" + num(maxval_) + seed_spec() + ")";
}

TruncatedNormal::TruncatedNormal(double mean, double stddev, std::optional<uint64_t> seed)
    : RandomInitializer(seed), mean_(mean), stddev_(stddev) {
  if (!(stddev >= 0.0) || !std::isfinite(mean) || !std::isfinite(stddev))
    throw std::invalid_argument("TruncatedNormal: stddev must be finite and >= 0, mean finite");
}
Tensor TruncatedNormal::operator()(const Shape& shape, int64_t, int64_t, Generator& given) const {
  Generator own;
  Generator& g = generator(given, own);
  return filled(shape, [&] { return static_cast<float>(mean_ + stddev_ * truncated_unit_normal(g)); });
}
std::string TruncatedNormal::spec() const {
  return "truncated_normal(mean=" + num(mean_) + ", stddev=" + num(stddev_) + seed_spec() + ")";
}

VarianceScaling::VarianceScaling(double scale, std::string mode, std::string distribution,
                                 std::optional<uint64_t> seed)
    : VarianceScaling("", scale, std::move(mode), std::move(distribution), seed) {}

VarianceScaling::VarianceScaling(std::string name, double scale, std::string mode, std::string distribution,
                                 std::optional<uint64_t> seed)
    : RandomInitializer(seed),
      name_(std::move(name)),
      scale_(scale),
      mode_(std::move(mode)),
      distribution_(std::move(distribution)) {
  if (!(scale > 0.0) || !std::isfinite(scale))
    throw std::invalid_argument("VarianceScaling: scale must be > 0");
  if (mode_ != "fan_in" && mode_ != "fan_out" && mode_ != "fan_avg")
    throw std::invalid_argument("VarianceScaling: mode '" + mode_ +
                                "' (expected fan_in, fan_out or fan_avg)");
  if (distribution_ == "normal") distribution_ = "truncated_normal";  // Keras's alias
  if (distribution_ != "truncated_normal" && distribution_ != "untruncated_normal" &&
      distribution_ != "uniform")
    throw std::invalid_argument("VarianceScaling: distribution '" + distribution_ +
                                "' (expected truncated_normal, untruncated_normal or uniform)");
}

Tensor VarianceScaling::operator()(const Shape& shape, int64_t fan_in, int64_t fan_out,
                                   Generator& given) const {
  Generator own;
  Generator& g = generator(given, own);
  const double fi = static_cast<double>(std::max<int64_t>(1, fan_in));
  const double fo = static_cast<double>(std::max<int64_t>(1, fan_out));
  const double n = mode_ == "fan_in" ? fi : mode_ == "fan_out" ? fo : (fi + fo) / 2.0;
  const double variance = scale_ / n;
  if (distribution_ == "uniform") {
    const auto limit = static_cast<float>(std::sqrt(3.0 * variance));
    return filled(shape, [&] { return g.uniform(-limit, limit); });
  }
  if (distribution_ == "untruncated_normal") {
    const double stddev = std::sqrt(variance);
    return filled(shape, [&] { return static_cast<float>(stddev * g.normal()); });
  }
  const double stddev = std::sqrt(variance) / kTruncatedStddev;
  return filled(shape, [&] { return static_cast<float>(stddev * truncated_unit_normal(g)); });
}

std::string VarianceScaling::spec() const {
  if (!name_.empty()) {
    const std::string seed = seed_spec();
    return seed.empty() ? name_ : name_ + "(" + seed.substr(2) + ")";
  }
  return "variance_scaling(scale=" + num(scale_) + ", mode=" + mode_ + ", distribution=" + distribution_ +
         seed_spec() + ")";
}

Orthogonal::Orthogonal(double gain, std::optional<uint64_t> seed) : RandomInitializer(seed), gain_(gain) {
  if (!std::isfinite(gain)) throw std::invalid_argument("Orthogonal: gain must be finite");
}

// Keras's recipe: a normal matrix of (prod(shape[:-1]), shape[-1]), orthonormalised (QR with the
// signs of R's diagonal folded in, here by modified Gram-Schmidt over the shorter dimension).
Tensor Orthogonal::operator()(const Shape& shape, int64_t, int64_t, Generator& given) const {
  if (shape.size() < 2) throw std::invalid_argument("Orthogonal: needs a shape of at least 2 dimensions");
  Generator own;
  Generator& g = generator(given, own);
  const int64_t cols = shape.back(), rows = numel(shape) / std::max<int64_t>(1, cols);
  const bool tall = rows >= cols;
  const int64_t n = tall ? rows : cols, k = tall ? cols : rows;  // k orthonormal vectors of length n
  std::vector<double> q(static_cast<size_t>(n * k));
  for (auto& v : q) v = g.normal();
  for (int64_t j = 0; j < k; ++j) {
    double* vj = q.data() + j * n;
    for (int64_t i = 0; i < j; ++i) {
      const double* vi = q.data() + i * n;
      double dot = 0.0;
      for (int64_t t = 0; t < n; ++t) dot += vi[t] * vj[t];
      for (int64_t t = 0; t < n; ++t) vj[t] -= dot * vi[t];
    }
    double norm = 0.0;
    for (int64_t t = 0; t < n; ++t) norm += vj[t] * vj[t];
    norm = std::sqrt(norm);
    for (int64_t t = 0; t < n; ++t) vj[t] = norm > 0.0 ? vj[t] / norm : 0.0;
  }
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)  // vectors are columns when tall, rows otherwise
      out[static_cast<size_t>(r * cols + c)] = static_cast<float>(
          gain_ * (tall ? q[static_cast<size_t>(c * n + r)] : q[static_cast<size_t>(r * n + c)]));
  return Tensor::from_vector(shape, out);
}
std::string Orthogonal::spec() const { return "orthogonal(gain=" + num(gain_) + seed_spec() + ")"; }

Tensor Identity::operator()(const Shape& shape, int64_t, int64_t, Generator&) const {
  if (shape.size() != 2 || shape[0] != shape[1])
    throw std::invalid_argument("Identity: needs a square 2-d shape, got " + to_string(shape));
  Tensor t = Tensor::zeros(shape);
  for (int64_t i = 0; i < shape[0]; ++i) t.data()[i * shape[0] + i] = static_cast<float>(gain_);
  return t;
}
std::string Identity::spec() const { return "identity(gain=" + num(gain_) + ")"; }

}  // namespace nn
