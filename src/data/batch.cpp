// Batch: stacks consecutive elements along a new leading dimension, one memcpy per element.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "stage.hpp"

namespace nn::data::detail {
namespace {

// out: (n, ...) stacking field(examples[i]), which must all have one shape (...), or undefined
// when they all are. name: the field's, for errors ("x", "extra_y[0]").
template <class Field>
Tensor stack_field(const Example* examples, int64_t n, Field field, const std::string& name) {
  const Tensor& first = field(examples[0]);
  for (int64_t i = 1; i < n; ++i) {
    const Tensor& t = field(examples[i]);
    if (t.defined() != first.defined() ||
        (first.defined() && (t.shape() != first.shape() || t.device() != first.device() || t.dtype() != first.dtype())))
      throw std::invalid_argument(
          fmt::format("Dataset::batch: element {} has {} of shape {} ({}), element 0 has shape {} ({})", i, name,
                      t.defined() ? to_string(t.shape()) : "undefined", t.defined() ? to_string(t.dtype()) : "-",
                      first.defined() ? to_string(first.shape()) : "undefined",
                      first.defined() ? to_string(first.dtype()) : "-"));
  }
  if (!first.defined()) return Tensor();
  Shape shape{n};
  shape.insert(shape.end(), first.shape().begin(), first.shape().end());
  Tensor out(std::move(shape), first.options());
  const size_t row = first.nbytes();  // any dtype: bytes
  char* dst = static_cast<char*>(out.untyped_data_ptr());
  if (first.device().is_host()) {
    // memcpy on the calling thread: the CPU backend's copy would go through the shared thread
    // pool, which a prefetch or map thread must not compete for.
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(dst + static_cast<size_t>(i) * row, field(examples[i]).raw_data(), row);
  } else {
    Backend& backend = backend_for(first.device());
    for (int64_t i = 0; i < n; ++i)
      backend.copy_bytes(field(examples[i]).untyped_data_ptr(), dst + static_cast<size_t>(i) * row, row);
  }
  return out;
}

class BatchIterator : public Iterator {
 public:
  BatchIterator(std::unique_ptr<Iterator> input, int64_t batch_size, bool drop_remainder)
      : input_(std::move(input)), batch_size_(batch_size), drop_remainder_(drop_remainder) {
    pending_.reserve(static_cast<size_t>(std::min<int64_t>(batch_size_, 4096)));
  }

  std::optional<Example> next() override {
    pending_.clear();  // also drops the previous batch's references to its elements
    while (input_ && static_cast<int64_t>(pending_.size()) < batch_size_) {
      std::optional<Example> e = input_->next();
      if (!e) {
        input_.reset();
        break;
      }
      pending_.push_back(std::move(*e));
    }
    const auto n = static_cast<int64_t>(pending_.size());
    if (n == 0 || (drop_remainder_ && n < batch_size_)) return std::nullopt;
    Example out = stack(pending_.data(), n);
    pending_.clear();
    return out;
  }

 private:
  std::unique_ptr<Iterator> input_;  // null once it has ended
  int64_t batch_size_;
  bool drop_remainder_;
  std::vector<Example> pending_;  // reused across batches
};

class Batch : public Stage {
 public:
  Batch(StagePtr input, int64_t batch_size, bool drop_remainder)
      : input_(std::move(input)), batch_size_(batch_size), drop_remainder_(drop_remainder) {}

  std::unique_ptr<Iterator> make_iterator() const override {
    if (auto fused = input_->make_batched_iterator(batch_size_, drop_remainder_, 0)) return fused;
    return std::make_unique<BatchIterator>(input_->make_iterator(), batch_size_, drop_remainder_);
  }
  std::unique_ptr<Iterator> make_prefetched_iterator(int64_t prefetch) const override {
    return input_->make_batched_iterator(batch_size_, drop_remainder_, prefetch);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;  // kInfinite or kUnknown
    return n / batch_size_ + (!drop_remainder_ && n % batch_size_ != 0);  // no n + b - 1: b may be huge
  }

 private:
  StagePtr input_;
  int64_t batch_size_;
  bool drop_remainder_;
};

}  // namespace

Example stack(const Example* examples, int64_t n) {
  if (n < 1) throw std::invalid_argument("Dataset::batch: nothing to stack");
  Example out;
  out.x = stack_field(examples, n, [](const Example& e) -> const Tensor& { return e.x; }, "x");
  out.y = stack_field(examples, n, [](const Example& e) -> const Tensor& { return e.y; }, "y");
  // Several inputs or targets: each one stacked alike; every element must have as many.
  for (int64_t i = 1; i < n; ++i)
    if (examples[i].extra_x.size() != examples[0].extra_x.size() || examples[i].extra_y.size() != examples[0].extra_y.size())
      throw std::invalid_argument(fmt::format("Dataset::batch: element {} has {} inputs and {} targets, element 0 has {} "
                                              "and {}", i, examples[i].extra_x.size() + 1, examples[i].extra_y.size() + 1,
                                              examples[0].extra_x.size() + 1, examples[0].extra_y.size() + 1));
  for (size_t k = 0; k < examples[0].extra_x.size(); ++k)
    out.extra_x.push_back(stack_field(examples, n, [k](const Example& e) -> const Tensor& { return e.extra_x[k]; },
                                      fmt::format("input {}", k + 1)));
  for (size_t k = 0; k < examples[0].extra_y.size(); ++k)
    out.extra_y.push_back(stack_field(examples, n, [k](const Example& e) -> const Tensor& { return e.extra_y[k]; },
                                      fmt::format("target {}", k + 1)));
  return out;
}

StagePtr make_batch(StagePtr input, int64_t batch_size, bool drop_remainder) {
  return std::make_shared<Batch>(std::move(input), batch_size, drop_remainder);
}

}  // namespace nn::data::detail
