#pragma once
#include <optional>

#include "nn/layers/layer.hpp"
#include "nn/random.hpp"

namespace nn {

// Inverted dropout in training, identity in evaluation. With a seed, the sequence of masks is
// reproducible; without one, the layer's generator is seeded from the default generator.
class Dropout : public Layer {
 public:
  explicit Dropout(float rate, std::optional<uint64_t> seed = std::nullopt, std::string name = "");

  std::string type() const override { return "Dropout"; }
  Shape compute_output_shape(const Shape& s) const override { return s; }
  float rate() const { return rate_; }
  Generator& generator() { return gen_; }
  Config state() const override { return {{"generator", static_cast<int64_t>(gen_.state())}}; }
  void load_state(const Config& state) override;

 protected:
  Variable forward(const Variable& x, bool training) override;
  Config hyper_parameters() const override;

 private:
  float rate_;
  std::optional<uint64_t> seed_;
  Generator gen_;
};

}  // namespace nn
