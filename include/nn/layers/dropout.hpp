#pragma once
#include <optional>

#include "nn/layers/layer.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/random.hpp"

namespace nn {

class DropoutOptions {
 public:
  DropoutOptions(float rate) : rate_(rate) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(float, rate);
  NN_ARG(std::optional<uint64_t>, seed);
 public:
  // The options a model file records, each once (src/layers/fields.hpp).
  template <class F>
  void fields(F&& f) {
    f("rate", rate_);
    f("seed", seed_);
  }
  NN_LAYER_ARGS;
};

// Inverted dropout in training, identity in evaluation. With a seed, the sequence of masks is
// reproducible; without one, the layer's generator is seeded from the default generator.
//   nn::Dropout(0.5f)   nn::Dropout(nn::DropoutOptions(0.5f).seed(7))
class Dropout : public Layer {
 public:
  explicit Dropout(DropoutOptions options);
  Dropout(float rate, std::optional<uint64_t> seed) : Dropout(DropoutOptions(rate).seed(seed)) {}

  std::string type() const override { return "Dropout"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }
  float rate() const { return o_.rate(); }
  Generator& generator() { return gen_; }
  // Which rows of the global batch this process's batches are (data-parallel training; not saved).
  void set_rows(DropoutRows rows) {
    check_rows(rows, describe());
    rows_ = rows;
  }
  DropoutRows rows() const { return rows_; }
  Config state() const override { return {{"generator", static_cast<int64_t>(gen_.state())}}; }
  void load_state(const Config& state) override;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  DropoutOptions o_;
  Generator gen_;
  DropoutRows rows_;
};

}  // namespace nn
