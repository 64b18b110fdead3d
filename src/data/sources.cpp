// Source stages: from_tensor_slices and from_generator.
#include <utility>
#include <vector>

#include "shuffle_buffer.hpp"
#include "stage.hpp"

namespace nn::data::detail {
namespace {

// Row views of a tensor t: (N, d1, ..., dk) -> row i: (d1, ..., dk), sharing t's storage.
// For k >= 1 the rows are slices of t viewed as (N * d1, d2, ..., dk): one slice per row, where
// slice + reshape would copy the shape twice more and touch the shared reference count (which
// every pipeline thread contends for) three times instead of once.
class Rows {
 public:
  Rows() = default;  // no tensor: rows are undefined
  explicit Rows(Tensor t) : scalar_(t.ndim() == 1) {
    Shape flat(t.shape().begin() + 1, t.shape().end());
    if (scalar_) {
      flat_ = std::move(t);
    } else {
      step_ = flat[0];
      flat[0] *= t.dim(0);
      flat_ = t.reshape(flat);
    }
  }
  Tensor operator[](int64_t i) const {
    if (!flat_.defined()) return Tensor();
    if (scalar_) return flat_.slice(i, i + 1).reshape({});
    return flat_.slice(i * step_, (i + 1) * step_);
  }

 private:
  Tensor flat_;
  bool scalar_ = false;
  int64_t step_ = 0;
};

// xs: at least one tensor; ys: none (unlabeled), or targets, of which the first may be undefined.
struct Slices {
  Slices(std::vector<Tensor> xs, std::vector<Tensor> ys) : n(xs[0].dim(0)) {
    for (Tensor& t : xs) x.emplace_back(std::move(t));
    for (Tensor& t : ys) y.push_back(t.defined() ? Rows(std::move(t)) : Rows());
  }
  Example operator[](int64_t i) const {
    Example e(x[0][i], y.empty() ? Tensor() : y[0][i]);
    for (size_t k = 1; k < x.size(); ++k) e.extra_x.push_back(x[k][i]);
    for (size_t k = 1; k < y.size(); ++k) e.extra_y.push_back(y[k][i]);
    return e;
  }
  int64_t n;
  std::vector<Rows> x, y;
};

class TensorSlicesIterator : public Iterator {
 public:
  explicit TensorSlicesIterator(std::shared_ptr<const Slices> slices) : slices_(std::move(slices)) {}
  std::optional<Example> next() override {
    if (i_ >= slices_->n) return std::nullopt;
    return (*slices_)[i_++];
  }

 private:
  std::shared_ptr<const Slices> slices_;
  int64_t i_ = 0;
};

// from_tensor_slices(...).shuffle(...): shuffles row indices and makes views only for the rows
// it emits, in the order the shuffle stage would give (the same ShuffleBuffer and seed).
class ShuffledSlicesIterator : public Iterator {
 public:
  ShuffledSlicesIterator(std::shared_ptr<const Slices> slices, int64_t buffer_size, uint64_t seed)
      : slices_(std::move(slices)), buffer_(buffer_size, seed, slices_->n) {}
  std::optional<Example> next() override {
    std::optional<int64_t> i = buffer_.next([this]() -> std::optional<int64_t> {
      if (next_ >= slices_->n) return std::nullopt;
      return next_++;
    });
    if (!i) return std::nullopt;
    return (*slices_)[*i];
  }

 private:
  std::shared_ptr<const Slices> slices_;
  ShuffleBuffer<int64_t> buffer_;
  int64_t next_ = 0;
};

class TensorSlices : public Stage {
 public:
  TensorSlices(std::vector<Tensor> xs, std::vector<Tensor> ys)
      : slices_(std::make_shared<const Slices>(std::move(xs), std::move(ys))) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    return std::make_unique<TensorSlicesIterator>(slices_);
  }
  std::unique_ptr<Iterator> make_shuffled_iterator(int64_t buffer_size, uint64_t seed) const override {
    return std::make_unique<ShuffledSlicesIterator>(slices_, buffer_size, seed);
  }
  int64_t cardinality() const override { return slices_->n; }

 private:
  std::shared_ptr<const Slices> slices_;
};

class GeneratorIterator : public Iterator {
 public:
  explicit GeneratorIterator(GeneratorFn fn) : fn_(std::move(fn)) {}
  std::optional<Example> next() override {
    if (!fn_) return std::nullopt;
    std::optional<Example> e = fn_();
    if (!e) fn_ = nullptr;  // ended: never called again
    return e;
  }

 private:
  GeneratorFn fn_;
};

class GeneratorStage : public Stage {
 public:
  explicit GeneratorStage(std::function<GeneratorFn()> make) : make_(std::move(make)) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    return std::make_unique<GeneratorIterator>(make_());
  }
  int64_t cardinality() const override { return kUnknown; }

 private:
  std::function<GeneratorFn()> make_;
};

}  // namespace

StagePtr make_tensor_slices(std::vector<Tensor> xs, std::vector<Tensor> ys) {
  return std::make_shared<TensorSlices>(std::move(xs), std::move(ys));
}

StagePtr make_generator(std::function<GeneratorFn()> make_generator) {
  return std::make_shared<GeneratorStage>(std::move(make_generator));
}

}  // namespace nn::data::detail
