// Shuffle: tf.data's buffered shuffle. The buffer holds up to buffer_size elements; each
// next() tops it up from the input and emits a uniformly chosen buffered element. A buffer as
// large as the dataset gives a uniform permutation.
#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "nn/random.hpp"
#include "stage.hpp"

namespace nn::data::detail {
namespace {

// splitmix64 finaliser: decorrelates the seeds of consecutive passes.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class ShuffleIterator : public Iterator {
 public:
  // expected: the input's cardinality (to size the buffer once), or negative when not known.
  ShuffleIterator(std::unique_ptr<Iterator> input, int64_t buffer_size, uint64_t seed,
                  int64_t expected)
      : input_(std::move(input)), capacity_(static_cast<size_t>(buffer_size)), rng_(seed) {
    if (expected >= 0) buffer_.reserve(static_cast<size_t>(std::min(buffer_size, expected)));
  }

  std::optional<Example> next() override {
    while (input_ && buffer_.size() < capacity_) {
      std::optional<Example> e = input_->next();
      if (!e) {
        input_.reset();  // ended: release upstream resources now
        break;
      }
      buffer_.push_back(std::move(*e));
    }
    if (buffer_.empty()) return std::nullopt;
    const size_t i = static_cast<size_t>(rng_.below(buffer_.size()));
    Example out = std::move(buffer_[i]);
    // Close the gap; the next call appends the following input element. Positions in the
    // buffer carry no meaning (the pick is uniform), so this is tf.data's refill-in-place.
    if (i + 1 != buffer_.size()) buffer_[i] = std::move(buffer_.back());
    buffer_.pop_back();
    return out;
  }

 private:
  std::unique_ptr<Iterator> input_;  // null once it has ended
  size_t capacity_;
  nn::Generator rng_;
  std::vector<Example> buffer_;
};

class Shuffle : public Stage {
 public:
  Shuffle(StagePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle)
      : input_(std::move(input)), buffer_size_(buffer_size), seed_(seed), reshuffle_(reshuffle) {}

  std::unique_ptr<Iterator> make_iterator() const override {
    const uint64_t pass = reshuffle_ ? passes_.fetch_add(1, std::memory_order_relaxed) : 0;
    const uint64_t seed = mix(seed_ + 0x9E3779B97F4A7C15ULL * (pass + 1));
    return std::make_unique<ShuffleIterator>(input_->make_iterator(), buffer_size_, seed,
                                             input_->cardinality());
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  StagePtr input_;
  int64_t buffer_size_;
  uint64_t seed_;
  bool reshuffle_;
  mutable std::atomic<uint64_t> passes_{0};  // per-pass seeds: pass p uses mix(seed, p)
};

}  // namespace

StagePtr make_shuffle(StagePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle) {
  return std::make_shared<Shuffle>(std::move(input), buffer_size, seed, reshuffle);
}

}  // namespace nn::data::detail
