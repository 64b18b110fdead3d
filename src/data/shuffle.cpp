// Shuffle: tf.data's buffered shuffle (the algorithm is in shuffle_buffer.hpp). A stage that
// can shuffle itself more cheaply (tensor slices shuffle row indices) is asked first.
#include <atomic>
#include <utility>

#include "shuffle_buffer.hpp"
#include "stage.hpp"

namespace nn::data::detail {
namespace {

class ShuffleIterator : public Iterator {
 public:
  ShuffleIterator(std::unique_ptr<Iterator> input, int64_t buffer_size, uint64_t seed, int64_t expected)
      : input_(std::move(input)), buffer_(buffer_size, seed, expected) {}

  std::optional<Example> next() override {
    std::optional<Example> e = buffer_.next([this] { return input_->next(); });
    if (buffer_.input_ended()) input_.reset();  // release upstream resources now
    return e;
  }

 private:
  std::unique_ptr<Iterator> input_;  // null once it has ended
  ShuffleBuffer<Example> buffer_;
};

class Shuffle : public Stage {
 public:
  Shuffle(StagePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle)
      : input_(std::move(input)), buffer_size_(buffer_size), seed_(seed), reshuffle_(reshuffle) {}

  std::unique_ptr<Iterator> make_iterator() const override {
    const uint64_t pass = reshuffle_ ? passes_.fetch_add(1, std::memory_order_relaxed) : 0;
    const uint64_t seed = pass_seed(seed_, pass);
    if (auto fused = input_->make_shuffled_iterator(buffer_size_, seed)) return fused;
    return std::make_unique<ShuffleIterator>(input_->make_iterator(), buffer_size_, seed,
                                             input_->cardinality());
  }
  int64_t cardinality() const override { return input_->cardinality(); }

 private:
  StagePtr input_;
  int64_t buffer_size_;
  uint64_t seed_;
  bool reshuffle_;
  mutable std::atomic<uint64_t> passes_{0};  // counts passes for reshuffle_each_iteration
};

}  // namespace

StagePtr make_shuffle(StagePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle) {
  return std::make_shared<Shuffle>(std::move(input), buffer_size, seed, reshuffle);
}

}  // namespace nn::data::detail
