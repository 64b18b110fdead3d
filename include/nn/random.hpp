#pragma once
// Seeded random numbers for initializers, dropout and shuffling. Generator is fully specified
// (splitmix64 + own normal transform), so a seed gives the same numbers on every platform.
#include <cstdint>

namespace nn {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed) : state_(seed) {}
  void seed(uint64_t s) { state_ = s; }
  uint64_t next_u64();
  float uniform();                    // [0, 1)
  float uniform(float lo, float hi);  // [lo, hi)
  float normal();                     // N(0, 1)
  uint64_t below(uint64_t n);         // uniform integer in [0, n)

  uint64_t state() const { return state_; }
  void set_state(uint64_t s) { state_ = s; }

 private:
  uint64_t state_;
};

// The process-wide generator behind unseeded initializers and dropout.
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace nn
