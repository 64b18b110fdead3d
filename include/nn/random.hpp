#pragma once
// Seeded random numbers for initializers, dropout and shuffling. Generator is fully specified
// (splitmix64 + own normal transform), so a seed gives the same numbers on every platform.
#include <cstdint>

namespace nn {

// splitmix64's output function: a bijective mix of 64 bits. mix64(seed + golden * (i + 1)) is
// the i-th number of a splitmix64 stream started at `seed`, usable from a counter alone (dropout
// masks drawn in parallel, the seed of a shuffle's n-th pass).
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
inline constexpr uint64_t kGolden64 = 0x9E3779B97F4A7C15ULL;  // splitmix64's increment
// The index-th number of the splitmix64 stream seeded with `seed` (the stream's own order).
inline uint64_t splitmix64_at(uint64_t seed, uint64_t index) { return mix64(seed + kGolden64 * (index + 1)); }

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
