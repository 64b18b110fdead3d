// Counting stages: repeat, take and skip. Cardinalities follow tf.data's kernels.
#include <algorithm>
#include <utility>

#include "stage.hpp"

namespace nn::data::detail {
namespace {

// ---------------------------------------------------------------- repeat

class RepeatIterator : public Iterator {
 public:
  RepeatIterator(StagePtr input, int64_t count) : input_(std::move(input)), count_(count) {}

  std::optional<Example> next() override {
    for (;;) {
      if (!current_) {
        if (done_ || (count_ >= 0 && pass_ >= count_)) return std::nullopt;
        current_ = input_->make_iterator();
        produced_ = false;
      }
      std::optional<Example> e = current_->next();
      if (e) {
        produced_ = true;
        return e;
      }
      current_.reset();  // end this pass (joins its threads) before the next one starts
      ++pass_;
      // As tf.data: repeating an empty pass forever would spin, so a forever repeat ends.
      if (count_ < 0 && !produced_) done_ = true;
    }
  }

 private:
  StagePtr input_;
  int64_t count_;
  int64_t pass_ = 0;
  bool produced_ = false;
  bool done_ = false;
  std::unique_ptr<Iterator> current_;
};

class Repeat : public Stage {
 public:
  Repeat(StagePtr input, int64_t count) : input_(std::move(input)), count_(count) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    return std::make_unique<RepeatIterator>(input_, count_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (count_ < 0) return n == 0 ? 0 : kInfinite;
    if (count_ == 0 || n == 0) return 0;
    if (n < 0) return n;
    int64_t total = 0;
    return __builtin_mul_overflow(count_, n, &total) ? kUnknown : total;
  }

 private:
  StagePtr input_;
  int64_t count_;
};

// ---------------------------------------------------------------- take

class TakeIterator : public Iterator {
 public:
  TakeIterator(std::unique_ptr<Iterator> input, int64_t n) : input_(std::move(input)), left_(n) {}
  std::optional<Example> next() override {
    if (!input_) return std::nullopt;
    std::optional<Example> e;
    if (left_ != 0) e = input_->next();
    if (!e || (left_ > 0 && --left_ == 0))  // negative: take everything
      input_.reset();                       // done: stop upstream work (a prefetch thread) right away
    return e;
  }

 private:
  std::unique_ptr<Iterator> input_;
  int64_t left_;
};

class Take : public Stage {
 public:
  Take(StagePtr input, int64_t n) : input_(std::move(input)), n_(n) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    return std::make_unique<TakeIterator>(input_->make_iterator(), n_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n == kUnknown) return kUnknown;
    if (n == kInfinite) return n_ < 0 ? kInfinite : n_;
    return n_ < 0 ? n : std::min(n, n_);
  }

 private:
  StagePtr input_;
  int64_t n_;
};

// ---------------------------------------------------------------- skip

class SkipIterator : public Iterator {
 public:
  SkipIterator(std::unique_ptr<Iterator> input, int64_t n) : input_(std::move(input)), left_(n) {}
  std::optional<Example> next() override {
    if (!input_) return std::nullopt;
    while (left_ != 0) {  // negative: skip everything
      if (!input_->next()) {
        input_.reset();
        return std::nullopt;
      }
      if (left_ > 0) --left_;
    }
    std::optional<Example> e = input_->next();
    if (!e) input_.reset();
    return e;
  }

 private:
  std::unique_ptr<Iterator> input_;
  int64_t left_;
};

class Skip : public Stage {
 public:
  Skip(StagePtr input, int64_t n) : input_(std::move(input)), n_(n) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    return std::make_unique<SkipIterator>(input_->make_iterator(), n_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;  // kInfinite or kUnknown
    return n_ < 0 ? 0 : std::max<int64_t>(0, n - n_);
  }

 private:
  StagePtr input_;
  int64_t n_;
};

// ---------------------------------------------------------------- shard

// Element i of each pass goes to shard i % num_shards (tf.data's shard).
class ShardIterator : public Iterator {
 public:
  ShardIterator(std::unique_ptr<Iterator> input, int64_t num_shards, int64_t index)
      : input_(std::move(input)), num_shards_(num_shards), skip_(index) {}
  std::optional<Example> next() override {
    if (!input_) return std::nullopt;
    for (; skip_ > 0; --skip_)
      if (!input_->next()) {
        input_.reset();
        return std::nullopt;
      }
    std::optional<Example> e = input_->next();
    if (!e) input_.reset();
    skip_ = num_shards_ - 1;  // the other shards' elements before this shard's next one
    return e;
  }

 private:
  std::unique_ptr<Iterator> input_;
  int64_t num_shards_, skip_;
};

class Shard : public Stage {
 public:
  Shard(StagePtr input, int64_t num_shards, int64_t index)
      : input_(std::move(input)), num_shards_(num_shards), index_(index) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    return std::make_unique<ShardIterator>(input_->make_iterator(), num_shards_, index_);
  }
  int64_t cardinality() const override {
    const int64_t n = input_->cardinality();
    if (n < 0) return n;  // kInfinite or kUnknown
    return n <= index_ ? 0 : (n - index_ - 1) / num_shards_ + 1;  // no overflow for any num_shards
  }

 private:
  StagePtr input_;
  int64_t num_shards_, index_;
};

}  // namespace

StagePtr make_shard(StagePtr input, int64_t num_shards, int64_t index) {
  return std::make_shared<Shard>(std::move(input), num_shards, index);
}

StagePtr make_repeat(StagePtr input, int64_t count) {
  return std::make_shared<Repeat>(std::move(input), count);
}
StagePtr make_take(StagePtr input, int64_t n) { return std::make_shared<Take>(std::move(input), n); }
StagePtr make_skip(StagePtr input, int64_t n) { return std::make_shared<Skip>(std::move(input), n); }

}  // namespace nn::data::detail
