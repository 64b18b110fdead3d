#include "nn/layers/dropout.hpp"

#include "nn/ops/dropout.hpp"

namespace nn {

Dropout::Dropout(float rate, std::optional<uint64_t> seed, std::string name)
    : Layer("dropout", std::move(name)), rate_(rate), seed_(seed),
      gen_(seed ? *seed : default_generator().next_u64()) {
  if (!(rate_ >= 0.0f && rate_ < 1.0f)) fail("rate must be in [0, 1), got " + std::to_string(rate_));
}

Variable Dropout::forward(const Variable& x, bool training) { return dropout(x, rate_, training, gen_); }

void Dropout::load_state(const Config& state) {
  if (state.count("generator")) gen_.set_state(static_cast<uint64_t>(config_int(state, "generator")));
}

Config Dropout::hyper_parameters() const {
  Config c{{"rate", static_cast<double>(rate_)}};
  if (seed_) c["seed"] = static_cast<int64_t>(*seed_);
  return c;
}

}  // namespace nn
