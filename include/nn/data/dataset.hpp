#pragma once
// Dataset: an input pipeline in the style of tf.data. A Dataset is an immutable description of
// stages (a source, then shuffle / map / batch / prefetch / repeat / take / skip / cache in any
// order); iterator() starts one pass over it, pulling elements through the stages on demand.
//
//   auto ds = Dataset::from_tensor_slices(x, y)      // x: (N, 28, 28), y: (N)
//                 .shuffle(60000, 42)
//                 .map(normalize, 2)                  // 2 worker threads, order kept
//                 .batch(50)                          // x: (50, 28, 28), y: (50)
//                 .prefetch(2);                       // a background thread stays 2 ahead
//   for (const Example& b : ds) train_step(b.x, b.y);
//
// Elements are tensors that may share storage with their source (from_tensor_slices yields
// views of x and y; cache() replays the same tensors), so treat them as immutable: a map
// function returns new tensors instead of writing into its input.
// A Dataset is cheap to copy and may be iterated by several threads at once (each iterator is
// used by one thread). Copies share per-dataset state: shuffle's pass counter and cache()'s
// stored elements.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "nn/tensor.hpp"

namespace nn::data {

// Cardinality values that are not counts, as tf.data.INFINITE_CARDINALITY / UNKNOWN_CARDINALITY.
inline constexpr int64_t kInfinite = -1;
inline constexpr int64_t kUnknown = -2;
// prefetch(kAutotune) picks the buffer size; map(fn, kAutotune) uses nn::num_threads() threads.
inline constexpr int64_t kAutotune = -1;

// One element: features and label(s). Single examples have no batch dimension (x: (28, 28),
// y: () scalar); after batch(n) both have a leading batch dimension (x: (n, 28, 28), y: (n)).
// y may be undefined for unlabeled data.
// A model of several inputs or outputs takes one tensor per input and per target (tf.data's tuple
// elements): x and y are the first, extra_x and extra_y the rest, batched alike.
struct Example {
  Example() = default;
  Example(Tensor x_, Tensor y_ = Tensor()) : x(std::move(x_)), y(std::move(y_)) {}  // NOLINT(google-explicit-constructor)

  Tensor x;
  Tensor y;
  std::vector<Tensor> extra_x, extra_y;

  // Every input (x, then extra_x) and every target (y, then extra_y).
  std::vector<Tensor> inputs() const;
  std::vector<Tensor> targets() const;
  // The element with inputs xs and targets ys (ys may be empty for unlabeled data).
  static Example of(std::vector<Tensor> xs, std::vector<Tensor> ys);
};

// One pass over a dataset. next() returns the next element, or nullopt at the end (and keeps
// returning nullopt after it). An exception from a stage or a map function propagates out of
// next() in order (the elements before it are delivered first); abandon the pass after one.
class Iterator {
 public:
  virtual ~Iterator() = default;
  virtual std::optional<Example> next() = 0;
};

namespace detail {
class Stage;  // src/data/stage.hpp
}

class Dataset {
 public:
  static constexpr int64_t kInfinite = data::kInfinite;
  static constexpr int64_t kUnknown = data::kUnknown;

  // Slices along dim 0: element i is (x[i], y[i]), views that share x's and y's storage.
  // x: (N, ...), y: (N, ...) or undefined; x.dim(0) != y.dim(0) -> std::invalid_argument.
  static Dataset from_tensor_slices(Tensor x, Tensor y);
  // Several inputs and targets (a model of several inputs or outputs): element i is
  // Example::of({xs[0][i], xs[1][i], ...}, {ys[0][i], ...}); every tensor has the same N.
  static Dataset from_tensor_slices(std::vector<Tensor> xs, std::vector<Tensor> ys);
  // The examples (x[i], y[i]) in batches on `device`, with x and y kept there whole: they are copied
  // to the device once, and each batch is gathered there (index_select) by a batch of indices drawn
  // on the host. With shuffle the order is exactly from_tensor_slices(x, y).shuffle(N, seed)'s, so a
  // run sees the same batches on every device. `transform`, when given, maps each batch of x on the
  // device (uint8 images to scaled floats). For a GPU, where copying each batch from the host would
  // cost more than the step (fit(x, y) does this by itself when the tensors fit).
  //   auto ds = Dataset::device_batches(images, labels, Device::cuda(), 128, true, 42,
  //                                     [](const Tensor& b) { return b.to(kFloat32) * (1.0f / 255); });
  static Dataset device_batches(Tensor x, Tensor y, Device device, int64_t batch_size, bool shuffle = true,
                                std::optional<uint64_t> seed = std::nullopt,
                                std::function<Tensor(const Tensor&)> transform = nullptr);
  // make_generator is called once per pass; the generator it returns yields elements until
  // it returns nullopt (after which it is not called again).
  static Dataset from_generator(std::function<std::function<std::optional<Example>()>()> make_generator);

  // Fills a buffer of buffer_size elements, then emits a uniformly chosen buffered element
  // and refills its slot from upstream. With a seed the order is deterministic; each pass
  // then uses a seed derived from (seed, pass number) when reshuffle_each_iteration, else the
  // same order every pass. Without a seed one is drawn from nn::default_generator() here.
  Dataset shuffle(int64_t buffer_size, std::optional<uint64_t> seed = std::nullopt,
                  bool reshuffle_each_iteration = true) const;
  // Applies fn to every element. num_parallel_calls > 1 runs fn on that many threads (<= 0:
  // nn::num_threads()), so fn must be safe to call concurrently; the output order is the
  // input order either way.
  Dataset map(std::function<Example(Example)> fn, int num_parallel_calls = 1) const;
  // Stacks batch_size consecutive elements along a new leading dimension; the last batch may
  // be smaller unless drop_remainder. Elements of different shapes -> std::invalid_argument.
  Dataset batch(int64_t batch_size, bool drop_remainder = false) const;
  // A background thread keeps up to buffer_size elements ready (kAutotune: a small default).
  // After a parallel map (and a batch after it) the map's worker threads do that themselves.
  Dataset prefetch(int64_t buffer_size) const;
  // count passes over the input (a new upstream pass each time); negative: forever. A forever
  // repeat of an empty pass ends instead of spinning.
  Dataset repeat(int64_t count = -1) const;
  Dataset take(int64_t n) const;  // the first n elements (negative: all)
  Dataset skip(int64_t n) const;  // all but the first n elements (negative: none)
  // Every num_shards-th element, starting at element `index` (tf.data's shard): the part of the
  // data one of num_shards workers reads. Shard before shuffling and augmenting, so each worker
  // reads only its own elements. index outside [0, num_shards) -> std::invalid_argument.
  Dataset shard(int64_t num_shards, int64_t index) const;
  // The first complete pass stores the elements in memory; later passes replay them without
  // touching upstream. An incomplete pass stores nothing.
  Dataset cache() const;

  std::unique_ptr<Iterator> iterator() const;  // a fresh pass
  // The number of elements, or kInfinite / kUnknown (e.g. from_generator), as tf.data.
  int64_t cardinality() const;

  // Range-for support: for (const Example& e : ds) runs one pass.
  class const_iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Example;
    using difference_type = std::ptrdiff_t;
    using pointer = const Example*;
    using reference = const Example&;

    const_iterator() = default;  // the end
    explicit const_iterator(std::shared_ptr<Iterator> it);

    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    const_iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(const const_iterator& o) const { return it_ == o.it_; }
    bool operator!=(const const_iterator& o) const { return it_ != o.it_; }

   private:
    std::shared_ptr<Iterator> it_;  // null at the end
    std::optional<Example> current_;
  };
  const_iterator begin() const;
  const_iterator end() const { return {}; }

  // For the stages' implementation (src/data): a dataset from its last stage.
  explicit Dataset(std::shared_ptr<const detail::Stage> stage);

 private:
  std::shared_ptr<const detail::Stage> stage_;
};

}  // namespace nn::data
