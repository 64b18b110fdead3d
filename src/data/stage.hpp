#pragma once
// Stage: the immutable description of one pipeline step, shared by every Dataset built on it.
// A stage makes iterators (one per pass); an iterator owns its input's iterator, so a pass is a
// chain of iterators mirroring the chain of stages. Each stage lives in its own .cpp and is
// reached through the factory below.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "nn/data/dataset.hpp"

namespace nn::data::detail {

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::unique_ptr<Iterator> make_iterator() const = 0;
  virtual int64_t cardinality() const = 0;  // a count, kInfinite or kUnknown

  // Fusion hooks: an iterator over this stage followed by another stage, for a stage that can
  // do both more cheaply itself; null (the default) to let the next stage do its part.
  // Followed by shuffle(buffer_size) with this pass's seed, in ShuffleBuffer's order:
  virtual std::unique_ptr<Iterator> make_shuffled_iterator(int64_t /*buffer_size*/, uint64_t /*seed*/) const {
    return nullptr;
  }
  // Followed by batch(batch_size, drop_remainder), then prefetch(prefetch) if prefetch > 0:
  virtual std::unique_ptr<Iterator> make_batched_iterator(int64_t /*batch_size*/, bool /*drop_remainder*/,
                                                          int64_t /*prefetch*/) const {
    return nullptr;
  }
  // Followed by prefetch(prefetch):
  virtual std::unique_ptr<Iterator> make_prefetched_iterator(int64_t /*prefetch*/) const { return nullptr; }
};

using StagePtr = std::shared_ptr<const Stage>;
using GeneratorFn = std::function<std::optional<Example>()>;  // one pass of from_generator

// Arguments are validated by Dataset (dataset.cpp) before they get here.
StagePtr make_tensor_slices(std::vector<Tensor> xs, std::vector<Tensor> ys);  // sources.cpp
StagePtr make_generator(std::function<GeneratorFn()> make_generator);      // sources.cpp
StagePtr make_shuffle(StagePtr input, int64_t buffer_size, uint64_t seed,  // shuffle.cpp
                      bool reshuffle_each_iteration);
StagePtr make_map(StagePtr input, std::function<Example(Example)> fn, int threads);  // map.cpp
StagePtr make_batch(StagePtr input, int64_t batch_size, bool drop_remainder);        // batch.cpp
StagePtr make_prefetch(StagePtr input, int64_t buffer_size);                         // prefetch.cpp
StagePtr make_repeat(StagePtr input, int64_t count);                                 // stages.cpp
StagePtr make_take(StagePtr input, int64_t n);                                       // stages.cpp
StagePtr make_skip(StagePtr input, int64_t n);                                       // stages.cpp
StagePtr make_shard(StagePtr input, int64_t num_shards, int64_t index);              // stages.cpp
StagePtr make_cache(StagePtr input);                                                 // cache.cpp

// Stacks examples (same shapes) along a new leading dimension: x: (n, ...), y: (n, ...).
Example stack(const Example* examples, int64_t n);  // batch.cpp

}  // namespace nn::data::detail
