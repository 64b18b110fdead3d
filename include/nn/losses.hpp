#pragma once
// Losses with Keras's names and semantics. A loss maps (y_pred, y_true) to a scalar Variable
// (Reduction::Mean is Keras's "sum_over_batch_size").
//
//   SparseCategoricalCrossentropy  y_true: integer labels (N)      y_pred: (N, C)
//   CategoricalCrossentropy        y_true: distributions (N, C)    y_pred: (N, C)
//   MeanSquaredError               y_true: same shape as y_pred    mean over the last axis
//   MeanAbsoluteError              y_true: same shape as y_pred    mean over the last axis
//   BinaryCrossentropy             y_true: same shape as y_pred    mean over the last axis
//
// For the last three, a rank-1 y_pred (N) is N examples of one output each, as PyTorch reads it
// (Keras would take the mean over that one axis and call it one example).
//
// from_logits=false takes probabilities: normalised to sum 1, clipped to [1e-7, 1 - 1e-7], then
// -sum(y log p), as Keras does. A model whose last layer is a softmax is better compiled with
// that softmax's input and from_logits=true: Sequential does this for you.
#include <functional>
#include <memory>
#include <string>

#include "nn/any_ptr.hpp"
#include "nn/arg.hpp"
#include "nn/autograd/variable.hpp"
#include "nn/ops/reduction.hpp"

namespace nn {

class Loss {
 public:
  explicit Loss(Reduction reduction = Reduction::Mean) : reduction_(reduction) {}
  virtual ~Loss() = default;
  virtual std::string name() const = 0;  // Keras's snake_case name
  virtual Variable operator()(const Variable& y_pred, const Tensor& y_true) const = 0;
  // Whether y_pred is expected as logits (lets a model feed pre-softmax values).
  virtual bool from_logits() const { return false; }
  // How much of the target is spread evenly over the classes (cross-entropies only).
  virtual float label_smoothing() const { return 0.0f; }
  // A copy of this loss that takes logits instead of probabilities; null if not applicable.
  virtual std::shared_ptr<Loss> with_logits() const { return nullptr; }
  Reduction reduction() const { return reduction_; }

 protected:
  Reduction reduction_;
};

using LossPtr = std::shared_ptr<Loss>;

// The cross-entropies' options. label_smoothing (in [0, 1)) trains against y (1 - s) + s / C
// instead of the one-hot target y (Keras's label_smoothing; PyTorch's
// CrossEntropyLoss(label_smoothing=s)); the binary cross-entropy has none.
//   nn::SparseCategoricalCrossentropy(nn::CrossentropyOptions().from_logits(true).label_smoothing(0.1f))
class CrossentropyOptions {
 public:
  NN_ARG(bool, from_logits) = false;
  NN_ARG(Reduction, reduction) = Reduction::Mean;
  NN_ARG(float, label_smoothing) = 0.0f;
};

// The two categorical cross-entropies, one implementation: targets as class labels (N) (sparse)
// or as distributions (N, C), predictions (N, C) as probabilities or logits.
class CategoricalCrossentropyBase : public Loss {
 public:
  std::string name() const override { return name_; }
  Variable operator()(const Variable& y_pred, const Tensor& y_true) const override;
  bool from_logits() const override { return from_logits_; }
  float label_smoothing() const override { return label_smoothing_; }
  std::shared_ptr<Loss> with_logits() const override;  // the same loss on logits

 protected:
  CategoricalCrossentropyBase(const CrossentropyOptions& options, bool sparse, const char* name);

 private:
  const char* name_;
  bool sparse_, from_logits_;
  float label_smoothing_;
};

class SparseCategoricalCrossentropy : public CategoricalCrossentropyBase {
 public:
  explicit SparseCategoricalCrossentropy(CrossentropyOptions options = {})
      : CategoricalCrossentropyBase(options, true, "sparse_categorical_crossentropy") {}
  explicit SparseCategoricalCrossentropy(bool from_logits)
      : SparseCategoricalCrossentropy(CrossentropyOptions().from_logits(from_logits)) {}
};

class CategoricalCrossentropy : public CategoricalCrossentropyBase {
 public:
  explicit CategoricalCrossentropy(CrossentropyOptions options = {})
      : CategoricalCrossentropyBase(options, false, "categorical_crossentropy") {}
  explicit CategoricalCrossentropy(bool from_logits)
      : CategoricalCrossentropy(CrossentropyOptions().from_logits(from_logits)) {}
};

class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(Reduction r = Reduction::Mean) : Loss(r) {}
  std::string name() const override { return "mean_squared_error"; }
  Variable operator()(const Variable& y_pred, const Tensor& y_true) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(Reduction r = Reduction::Mean) : Loss(r) {}
  std::string name() const override { return "mean_absolute_error"; }
  Variable operator()(const Variable& y_pred, const Tensor& y_true) const override;
};

// Two classes with one output per example: y_true in [0, 1], y_pred (N) or (N, 1) probabilities
// (or logits with from_logits, computed stably as softplus(z) - z·y). Mean over the last axis.
class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(CrossentropyOptions options = {});
  explicit BinaryCrossentropy(bool from_logits) : BinaryCrossentropy(CrossentropyOptions().from_logits(from_logits)) {}
  std::string name() const override { return "binary_crossentropy"; }
  Variable operator()(const Variable& y_pred, const Tensor& y_true) const override;
  bool from_logits() const override { return from_logits_; }

 private:
  bool from_logits_;
};

// By Keras name: "sparse_categorical_crossentropy", "categorical_crossentropy",
// "binary_crossentropy", "mean_squared_error" / "mse", "mean_absolute_error" / "mae". Throws
// std::invalid_argument listing them for others, or for label smoothing on a loss without it.
LossPtr make_loss(const std::string& name, bool from_logits = false, float label_smoothing = 0.0f);
// Adds a loss make_loss (and so compile() and model files) can name.
using LossFactory = std::function<LossPtr(const std::string& name, bool from_logits, float label_smoothing)>;
void register_loss(const std::string& name, LossFactory factory);

// Any loss, as Keras's compile takes it: by name, as an object, or shared.
class AnyLoss : public AnyPtr<Loss> {
 public:
  using AnyPtr<Loss>::AnyPtr;
  AnyLoss(const char* name) : AnyPtr(make_loss(name)) {}         // NOLINT(google-explicit-constructor)
  AnyLoss(const std::string& name) : AnyPtr(make_loss(name)) {}  // NOLINT(google-explicit-constructor)
};

}  // namespace nn
