// Dataset: argument checks and the range-for iterator; the stages live in their own files.
#include "nn/data/dataset.hpp"

#include <iterator>
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
  return Dataset(detail::make_tensor_slices({std::move(x)}, {std::move(y)}));
}

Dataset Dataset::from_tensor_slices(std::vector<Tensor> xs, std::vector<Tensor> ys) {
  if (xs.empty()) throw std::invalid_argument("Dataset::from_tensor_slices: no inputs");
  const auto check = [&](const Tensor& t, const char* what, size_t k) {
    if (!t.defined()) throw std::invalid_argument(fmt::format("Dataset::from_tensor_slices: {}[{}] is undefined", what, k));
    if (t.ndim() == 0)
      throw std::invalid_argument(fmt::format("Dataset::from_tensor_slices: {}[{}] {} needs a leading dimension to slice",
                                              what, k, to_string(t.shape())));
    if (t.dim(0) != xs[0].dim(0))
      throw std::invalid_argument(fmt::format("Dataset::from_tensor_slices: {}[{}] {} and xs[0] {} differ in their first "
                                              "dimension", what, k, to_string(t.shape()), to_string(xs[0].shape())));
  };
  for (size_t k = 0; k < xs.size(); ++k) check(xs[k], "xs", k);
  for (size_t k = 0; k < ys.size(); ++k) check(ys[k], "ys", k);
  return Dataset(detail::make_tensor_slices(std::move(xs), std::move(ys)));
}

std::vector<Tensor> Example::inputs() const {
  std::vector<Tensor> out{x};
  out.insert(out.end(), extra_x.begin(), extra_x.end());
  return out;
}

std::vector<Tensor> Example::targets() const {
  std::vector<Tensor> out;
  if (y.defined() || !extra_y.empty()) out.push_back(y);
  out.insert(out.end(), extra_y.begin(), extra_y.end());
  return out;
}

Example Example::of(std::vector<Tensor> xs, std::vector<Tensor> ys) {
  if (xs.empty()) throw std::invalid_argument("Example::of: no inputs");
  Example e(std::move(xs[0]), ys.empty() ? Tensor() : std::move(ys[0]));
  e.extra_x.assign(std::make_move_iterator(xs.begin() + 1), std::make_move_iterator(xs.end()));
  if (!ys.empty()) e.extra_y.assign(std::make_move_iterator(ys.begin() + 1), std::make_move_iterator(ys.end()));
  return e;
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
