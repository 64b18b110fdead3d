// Dataset: argument checks and the range-for iterator; the stages live in their own files.
#include "nn/data/dataset.hpp"

#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "nn/random.hpp"
#include "stage.hpp"

namespace nn::data {

Dataset::Dataset(std::shared_ptr<const detail::Stage> stage) : stage_(std::move(stage)) {
  if (!stage_) throw std::invalid_argument("Dataset: null stage");
}

Dataset Dataset::from_tensor_slices(Tensor x, Tensor y) {
  if (!x.defined()) throw std::invalid_argument("Dataset::from_tensor_slices: x is undefined");
  if (x.ndim() == 0 || (y.defined() && y.ndim() == 0))
    throw std::invalid_argument(
        fmt::format("Dataset::from_tensor_slices: x {} and y {} need a leading dimension to slice",
                    to_string(x.shape()), y.defined() ? to_string(y.shape()) : "undefined"));
  if (y.defined() && x.dim(0) != y.dim(0))
    throw std::invalid_argument(
        fmt::format("Dataset::from_tensor_slices: x {} and y {} differ in their first dimension",
                    to_string(x.shape()), to_string(y.shape())));
  return Dataset(detail::make_tensor_slices(std::move(x), std::move(y)));
}

Dataset Dataset::from_generator(std::function<std::function<std::optional<Example>()>()> make_generator) {
  if (!make_generator) throw std::invalid_argument("Dataset::from_generator: empty function");
  return Dataset(detail::make_generator(std::move(make_generator)));
}

Dataset Dataset::shuffle(int64_t buffer_size, std::optional<uint64_t> seed,
                         bool reshuffle_each_iteration) const {
  if (buffer_size < 1)
    throw std::invalid_argument(
        fmt::format("Dataset::shuffle: buffer_size must be positive, got {}", buffer_size));
  // Drawn now, not per pass: reshuffle_each_iteration=false must repeat one order.
  const uint64_t s = seed ? *seed : default_generator().next_u64();
  return Dataset(detail::make_shuffle(stage_, buffer_size, s, reshuffle_each_iteration));
}

Dataset Dataset::map(std::function<Example(Example)> fn, int num_parallel_calls) const {
  if (!fn) throw std::invalid_argument("Dataset::map: empty function");
  const int threads = num_parallel_calls <= 0 ? num_threads() : num_parallel_calls;
  return Dataset(detail::make_map(stage_, std::move(fn), threads));
}

Dataset Dataset::batch(int64_t batch_size, bool drop_remainder) const {
  if (batch_size < 1)
    throw std::invalid_argument(
        fmt::format("Dataset::batch: batch_size must be positive, got {}", batch_size));
  return Dataset(detail::make_batch(stage_, batch_size, drop_remainder));
}

Dataset Dataset::prefetch(int64_t buffer_size) const {
  if (buffer_size < 1 && buffer_size != kAutotune)
    throw std::invalid_argument(
        fmt::format("Dataset::prefetch: buffer_size must be positive or kAutotune, got {}", buffer_size));
  return Dataset(detail::make_prefetch(stage_, buffer_size == kAutotune ? 2 : buffer_size));
}

Dataset Dataset::repeat(int64_t count) const { return Dataset(detail::make_repeat(stage_, count)); }
Dataset Dataset::take(int64_t n) const { return Dataset(detail::make_take(stage_, n)); }
Dataset Dataset::skip(int64_t n) const { return Dataset(detail::make_skip(stage_, n)); }
Dataset Dataset::shard(int64_t num_shards, int64_t index) const {
  if (num_shards < 1)
    throw std::invalid_argument("shard: num_shards must be at least 1, got " + std::to_string(num_shards));
  if (index < 0 || index >= num_shards)
    throw std::invalid_argument("shard: index " + std::to_string(index) + " is not in [0, " +
                                std::to_string(num_shards) + ")");
  return Dataset(detail::make_shard(stage_, num_shards, index));
}
Dataset Dataset::cache() const { return Dataset(detail::make_cache(stage_)); }

std::unique_ptr<Iterator> Dataset::iterator() const { return stage_->make_iterator(); }
int64_t Dataset::cardinality() const { return stage_->cardinality(); }

// ---------------------------------------------------------------- range-for

Dataset::const_iterator Dataset::begin() const {
  return const_iterator(std::shared_ptr<Iterator>(iterator()));
}

Dataset::const_iterator::const_iterator(std::shared_ptr<Iterator> it) : it_(std::move(it)) { ++*this; }

Dataset::const_iterator& Dataset::const_iterator::operator++() {
  if (!it_) return *this;
  current_ = it_->next();
  if (!current_) it_.reset();  // equal to end(); also stops a prefetch thread early
  return *this;
}

}  // namespace nn::data
