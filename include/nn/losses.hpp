#pragma once
// Losses with Keras's names and semantics. A loss maps (y_pred, y_true) to a scalar Variable
// (Reduction::Mean is Keras's "sum_over_batch_size").
//
//   SparseCategoricalCrossentropy  y_true: integer labels (N)      y_pred: (N, C)
//   CategoricalCrossentropy        y_true: distributions (N, C)    y_pred: (N, C)
//   MeanSquaredError               y_true: same shape as y_pred    mean over the last axis
//
// from_logits=false takes probabilities: normalised to sum 1, clipped to [1e-7, 1 - 1e-7], then
// -sum(y log p), as Keras does. A model whose last layer is a softmax is better compiled with
// that softmax's input and from_logits=true: Sequential does this for you.
#include <memory>
#include <string>

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
  // A copy of this loss that takes logits instead of probabilities; null if not applicable.
  virtual std::shared_ptr<Loss> with_logits() const { return nullptr; }
  Reduction reduction() const { return reduction_; }

 protected:
  Reduction reduction_;
};

using LossPtr = std::shared_ptr<Loss>;

class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false, Reduction r = Reduction::Mean)
      : Loss(r), from_logits_(from_logits) {}
  std::string name() const override { return "sparse_categorical_crossentropy"; }
  Variable operator()(const Variable& y_pred, const Tensor& y_true) const override;
  bool from_logits() const override { return from_logits_; }
  std::shared_ptr<Loss> with_logits() const override;

 private:
  bool from_logits_;
};

class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, Reduction r = Reduction::Mean)
      : Loss(r), from_logits_(from_logits) {}
  std::string name() const override { return "categorical_crossentropy"; }
  Variable operator()(const Variable& y_pred, const Tensor& y_true) const override;
  bool from_logits() const override { return from_logits_; }
  std::shared_ptr<Loss> with_logits() const override;

 private:
  bool from_logits_;
};

class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(Reduction r = Reduction::Mean) : Loss(r) {}
  std::string name() const override { return "mean_squared_error"; }
  Variable operator()(const Variable& y_pred, const Tensor& y_true) const override;
};

// By Keras name: "sparse_categorical_crossentropy", "categorical_crossentropy",
// "mean_squared_error" / "mse". Throws std::invalid_argument for others.
LossPtr make_loss(const std::string& name, bool from_logits = false);

}  // namespace nn
