#pragma once
// ShuffleBuffer: tf.data's shuffle algorithm over any element type, so that the shuffle stage
// (over elements) and tensor slices (over row indices) give the same order for a seed.
// The buffer is topped up to its capacity from the input, then a uniformly chosen element is
// taken out. A buffer as large as the input gives a uniform permutation.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "nn/random.hpp"

namespace nn::data::detail {

// The seed of one pass of a shuffle: splitmix64 of (seed, pass), so consecutive passes are
// decorrelated and the sequence of orders is fixed by the seed.
inline uint64_t pass_seed(uint64_t seed, uint64_t pass) { return splitmix64_at(seed, pass); }

template <class T>
class ShuffleBuffer {
 public:
  // expected: how many elements the input has (sizes the buffer once), or negative if unknown.
  ShuffleBuffer(int64_t capacity, uint64_t seed, int64_t expected)
      : capacity_(static_cast<size_t>(capacity)), rng_(seed) {
    if (expected >= 0) buffer_.reserve(static_cast<size_t>(std::min(capacity, expected)));
  }

  // pull() -> std::optional<T>, nullopt at the end of the input (then never called again).
  template <class Pull>
  std::optional<T> next(Pull&& pull) {
    while (!input_ended_ && buffer_.size() < capacity_) {
      std::optional<T> e = pull();
      if (!e) {
        input_ended_ = true;
        break;
      }
      buffer_.push_back(std::move(*e));
    }
    if (buffer_.empty()) return std::nullopt;
    const auto i = static_cast<size_t>(rng_.below(buffer_.size()));
    T out = std::move(buffer_[i]);
    // Close the gap; the next call appends the following input element. Positions in the
    // buffer carry no meaning (the pick is uniform), so this is tf.data's refill-in-place.
    if (i + 1 != buffer_.size()) buffer_[i] = std::move(buffer_.back());
    buffer_.pop_back();
    return out;
  }

  bool input_ended() const { return input_ended_; }

 private:
  size_t capacity_;
  nn::Generator rng_;
  std::vector<T> buffer_;
  bool input_ended_ = false;
};

}  // namespace nn::data::detail
