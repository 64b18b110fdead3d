// Source stages: from_tensor_slices and from_generator.
#include <utility>

#include "stage.hpp"

namespace nn::data::detail {
namespace {

// Row i of t without its leading dimension: (N, d1, ...) -> (d1, ...), sharing storage.
Shape row_shape(const Tensor& t) { return Shape(t.shape().begin() + 1, t.shape().end()); }

class TensorSlicesIterator : public Iterator {
 public:
  TensorSlicesIterator(Tensor x, Tensor y)
      : x_(std::move(x)), y_(std::move(y)), x_row_(row_shape(x_)),
        y_row_(y_.defined() ? row_shape(y_) : Shape{}) {}

  std::optional<Example> next() override {
    if (i_ >= x_.dim(0)) return std::nullopt;
    Example e;
    e.x = x_.slice(i_, i_ + 1).reshape(x_row_);
    if (y_.defined()) e.y = y_.slice(i_, i_ + 1).reshape(y_row_);
    ++i_;
    return e;
  }

 private:
  Tensor x_, y_;  // x: (N, ...), y: (N, ...) or undefined
  Shape x_row_, y_row_;
  int64_t i_ = 0;
};

class TensorSlices : public Stage {
 public:
  TensorSlices(Tensor x, Tensor y) : x_(std::move(x)), y_(std::move(y)) {}
  std::unique_ptr<Iterator> make_iterator() const override {
    return std::make_unique<TensorSlicesIterator>(x_, y_);
  }
  int64_t cardinality() const override { return x_.dim(0); }

 private:
  Tensor x_, y_;
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

StagePtr make_tensor_slices(Tensor x, Tensor y) {
  return std::make_shared<TensorSlices>(std::move(x), std::move(y));
}

StagePtr make_generator(std::function<GeneratorFn()> make_generator) {
  return std::make_shared<GeneratorStage>(std::move(make_generator));
}

}  // namespace nn::data::detail
