#pragma once
// Weight initializers with Keras's names, classes and defaults, as objects or by name:
//
//   nn::DenseOptions(64).kernel_initializer(nn::TruncatedNormal(0.0, 0.1))
//   nn::DenseOptions(64).kernel_initializer("he_normal").bias_initializer(nn::Constant(0.1))
//   nn::DenseOptions(64).kernel_initializer("truncated_normal(stddev=0.1, seed=7)")
//
//   Zeros, Ones, Constant(value)
//   RandomNormal(mean=0, stddev=0.05), RandomUniform(minval=-0.05, maxval=0.05)
//   TruncatedNormal(mean=0, stddev=0.05)     values beyond two stddevs are redrawn
//   VarianceScaling(scale=1, mode="fan_in"|"fan_out"|"fan_avg",
//                   distribution="truncated_normal"|"untruncated_normal"|"uniform")
//   GlorotNormal / GlorotUniform  VarianceScaling(1, fan_avg, ...)   (Keras's default kernel init)
//   HeNormal / HeUniform          VarianceScaling(2, fan_in, ...)
//   LecunNormal / LecunUniform    VarianceScaling(1, fan_in, ...)
//   Orthogonal(gain=1)            a (semi-)orthogonal matrix of shape (prod(shape[:-1]), shape[-1])
//   Identity(gain=1)              gain * I, 2-d square shapes only
// Each random initializer takes an optional seed last: with one it gives the same values every
// time (as Keras); without one it draws from the generator it is given (nn::default_generator()
// by default, so nn::manual_seed makes a run reproducible). The variance-scaled truncated normals
// correct the stddev for the truncation, as Keras does.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "nn/random.hpp"
#include "nn/tensor.hpp"

namespace nn {

class Initializer {
 public:
  virtual ~Initializer() = default;
  // Values for a weight of `shape`; fan_in / fan_out as the layer counts them (Keras's rules).
  virtual Tensor operator()(const Shape& shape, int64_t fan_in, int64_t fan_out, Generator& gen) const = 0;
  // The name with its arguments, e.g. "truncated_normal(mean=0, stddev=0.1)": what a saved
  // model stores and get_initializer parses back.
  virtual std::string spec() const = 0;
};

// Any initializer, given as an object or by name/spec; what layer options hold.
class AnyInitializer {
 public:
  AnyInitializer(const char* spec);                         // NOLINT(google-explicit-constructor): by name
  AnyInitializer(const std::string& spec);                  // NOLINT(google-explicit-constructor)
  AnyInitializer(std::shared_ptr<const Initializer> init);  // NOLINT(google-explicit-constructor)
  template <class I, class = std::enable_if_t<std::is_base_of_v<Initializer, I>>>
  AnyInitializer(I init) : impl_(std::make_shared<I>(std::move(init))) {}  // NOLINT

  Tensor operator()(const Shape& shape, int64_t fan_in, int64_t fan_out,
                    Generator& gen = default_generator()) const {
    return (*impl_)(shape, fan_in, fan_out, gen);
  }
  std::string spec() const { return impl_->spec(); }
  const Initializer& get() const { return *impl_; }

 private:
  std::shared_ptr<const Initializer> impl_;
};

// By name ("glorot_uniform", "he_normal", "zeros", ...) or spec ("random_normal(stddev=0.01)").
// Throws std::invalid_argument listing the accepted names, or naming the bad argument.
std::shared_ptr<const Initializer> get_initializer(const std::string& spec);

class Zeros final : public Initializer {
 public:
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator&) const override;
  std::string spec() const override { return "zeros"; }
};

class Ones final : public Initializer {
 public:
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator&) const override;
  std::string spec() const override { return "ones"; }
};

class Constant final : public Initializer {
 public:
  explicit Constant(double value = 0.0) : value_(value) {}
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator&) const override;
  std::string spec() const override;

 private:
  double value_;
};

// The random initializers share a seed: with one, each call starts from it.
class RandomInitializer : public Initializer {
 public:
  explicit RandomInitializer(std::optional<uint64_t> seed) : seed_(seed) {}
  std::optional<uint64_t> seed() const { return seed_; }

 protected:
  Generator& generator(Generator& given, Generator& own) const;
  std::string seed_spec() const;  // ", seed=N" or ""

 private:
  std::optional<uint64_t> seed_;
};

class RandomNormal final : public RandomInitializer {
 public:
  explicit RandomNormal(double mean = 0.0, double stddev = 0.05, std::optional<uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator& gen) const override;
  std::string spec() const override;

 private:
  double mean_, stddev_;
};

class RandomUniform final : public RandomInitializer {
 public:
  explicit RandomUniform(double minval = -0.05, double maxval = 0.05,
                         std::optional<uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator& gen) const override;
  std::string spec() const override;

 private:
  double minval_, maxval_;
};

class TruncatedNormal final : public RandomInitializer {
 public:
  explicit TruncatedNormal(double mean = 0.0, double stddev = 0.05,
                           std::optional<uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator& gen) const override;
  std::string spec() const override;

 private:
  double mean_, stddev_;
};

class VarianceScaling : public RandomInitializer {
 public:
  explicit VarianceScaling(double scale = 1.0, std::string mode = "fan_in",
                           std::string distribution = "truncated_normal",
                           std::optional<uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, int64_t fan_in, int64_t fan_out, Generator& gen) const override;
  std::string spec() const override;

 protected:
  // The Keras name when this is one of the named variants ("glorot_uniform", ...).
  VarianceScaling(std::string name, double scale, std::string mode, std::string distribution,
                  std::optional<uint64_t> seed);

 private:
  std::string name_;
  double scale_;
  std::string mode_, distribution_;
};

#define NN_VARIANCE_SCALING(Class, keras_name, scale, mode, distribution) \
  class Class final : public VarianceScaling {                            \
   public:                                                                \
    explicit Class(std::optional<uint64_t> seed = std::nullopt)           \
        : VarianceScaling(keras_name, scale, mode, distribution, seed) {} \
  };
NN_VARIANCE_SCALING(GlorotNormal, "glorot_normal", 1.0, "fan_avg", "truncated_normal")
NN_VARIANCE_SCALING(GlorotUniform, "glorot_uniform", 1.0, "fan_avg", "uniform")
NN_VARIANCE_SCALING(HeNormal, "he_normal", 2.0, "fan_in", "truncated_normal")
NN_VARIANCE_SCALING(HeUniform, "he_uniform", 2.0, "fan_in", "uniform")
NN_VARIANCE_SCALING(LecunNormal, "lecun_normal", 1.0, "fan_in", "truncated_normal")
NN_VARIANCE_SCALING(LecunUniform, "lecun_uniform", 1.0, "fan_in", "uniform")
#undef NN_VARIANCE_SCALING

class Orthogonal final : public RandomInitializer {
 public:
  explicit Orthogonal(double gain = 1.0, std::optional<uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator& gen) const override;
  std::string spec() const override;

 private:
  double gain_;
};

class Identity final : public Initializer {
 public:
  explicit Identity(double gain = 1.0) : gain_(gain) {}
  Tensor operator()(const Shape& shape, int64_t, int64_t, Generator&) const override;
  std::string spec() const override;

 private:
  double gain_;
};

}  // namespace nn
