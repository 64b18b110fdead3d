#include "nn/layers/dropout.hpp"

#include "layers/fields.hpp"

#include <string>

#include "nn/ops/dropout.hpp"

namespace nn {

Dropout::Dropout(DropoutOptions options)
    : Layer("dropout", options.layer_args()),
      o_(std::move(options)),
      gen_(o_.seed() ? *o_.seed() : default_generator().next_u64()) {
  if (!(o_.rate() >= 0.0f && o_.rate() < 1.0f))
    fail("rate must be in [0, 1), got " + std::to_string(o_.rate()));
}

Variable Dropout::forward(const Variable& x, bool training) { return dropout(x, o_.rate(), training, gen_, rows_); }

void Dropout::load_state(const Config& state) {
  if (state.count("generator")) gen_.set_state(static_cast<uint64_t>(config_int(state, "generator")));
}

Config Dropout::hyper_parameters() const { return detail::write_fields(o_); }

}  // namespace nn
