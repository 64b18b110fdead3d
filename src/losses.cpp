#include "nn/losses.hpp"

#include <stdexcept>

#include "nn/ops/activation.hpp"
#include "nn/ops/arithmetic.hpp"
#include "nn/ops/cross_entropy.hpp"

namespace nn {
namespace {
constexpr float kEpsilon = 1e-7f;  // Keras's backend epsilon

// -sum(t * log(clip(p / sum(p)))) per row: (N, C) -> (N)
Variable cross_entropy_from_probs(const Variable& p, const Tensor& targets) {
  Variable normalised = div(p, sum(p, -1, true));
  Variable logp = log(clip(normalised, kEpsilon, 1.0f - kEpsilon));
  return neg(sum(mul(logp, Variable(targets)), -1));
}

void check_2d(const Variable& y_pred, const char* loss) {
  if (y_pred.shape().size() != 2)
    throw std::invalid_argument(std::string(loss) + ": predictions must be (N, C), got " +
                                to_string(y_pred.shape()));
}
}  // namespace

Variable SparseCategoricalCrossentropy::operator()(const Variable& y_pred, const Tensor& y_true) const {
  check_2d(y_pred, "sparse_categorical_crossentropy");
  if (y_true.shape() != Shape{y_pred.shape()[0]})
    throw std::invalid_argument("sparse_categorical_crossentropy: labels of shape " +
                                to_string(y_true.shape()) + " for predictions of shape " +
                                to_string(y_pred.shape()));
  if (from_logits_) return softmax_cross_entropy(y_pred, y_true, reduction_);
  return reduce(cross_entropy_from_probs(y_pred, one_hot(y_true, y_pred.shape()[1])), reduction_);
}

std::shared_ptr<Loss> SparseCategoricalCrossentropy::with_logits() const {
  return std::make_shared<SparseCategoricalCrossentropy>(true, reduction_);
}

Variable CategoricalCrossentropy::operator()(const Variable& y_pred, const Tensor& y_true) const {
  check_2d(y_pred, "categorical_crossentropy");
  if (y_true.shape() != y_pred.shape())
    throw std::invalid_argument("categorical_crossentropy: targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  if (from_logits_) return softmax_cross_entropy(y_pred, y_true, reduction_);
  return reduce(cross_entropy_from_probs(y_pred, y_true), reduction_);
}

std::shared_ptr<Loss> CategoricalCrossentropy::with_logits() const {
  return std::make_shared<CategoricalCrossentropy>(true, reduction_);
}

Variable MeanSquaredError::operator()(const Variable& y_pred, const Tensor& y_true) const {
  if (y_true.shape() != y_pred.shape())
    throw std::invalid_argument("mean_squared_error: targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  Variable se = square(sub(y_pred, Variable(y_true)));
  if (se.shape().size() >= 2) return reduce(mean(se, -1), reduction_);
  return reduce(se, reduction_);
}

Variable MeanAbsoluteError::operator()(const Variable& y_pred, const Tensor& y_true) const {
  if (y_true.shape() != y_pred.shape())
    throw std::invalid_argument("mean_absolute_error: targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  Variable ae = abs(sub(y_pred, Variable(y_true)));
  if (ae.shape().size() >= 2) return reduce(mean(ae, -1), reduction_);
  return reduce(ae, reduction_);
}

Variable BinaryCrossentropy::operator()(const Variable& y_pred, const Tensor& y_true) const {
  if (y_true.shape() != y_pred.shape())
    throw std::invalid_argument("binary_crossentropy: targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  const Variable y(y_true);
  Variable per_element;
  if (from_logits_) {  // softplus(z) - z y: stable for any z
    per_element = sub(softplus(y_pred), mul(y_pred, y));
  } else {  // -(y log p + (1 - y) log(1 - p)), p clipped to [eps, 1 - eps] as Keras does
    const Variable p = clip(y_pred, kEpsilon, 1.0f - kEpsilon);
    const Variable one(Tensor::scalar(1.0f, y_true.device()));
    per_element = neg(add(mul(y, log(p)), mul(sub(one, y), log(sub(one, p)))));
  }
  if (per_element.shape().size() >= 2) return reduce(mean(per_element, -1), reduction_);
  return reduce(per_element, reduction_);
}

LossPtr make_loss(const std::string& name, bool from_logits) {
  if (name == "sparse_categorical_crossentropy")
    return std::make_shared<SparseCategoricalCrossentropy>(from_logits);
  if (name == "categorical_crossentropy") return std::make_shared<CategoricalCrossentropy>(from_logits);
  if (name == "binary_crossentropy") return std::make_shared<BinaryCrossentropy>(from_logits);
  if (name == "mean_squared_error" || name == "mse") return std::make_shared<MeanSquaredError>();
  if (name == "mean_absolute_error" || name == "mae") return std::make_shared<MeanAbsoluteError>();
  throw std::invalid_argument("unknown loss '" + name +
                              "' (expected sparse_categorical_crossentropy, categorical_crossentropy, "
                              "binary_crossentropy, mean_squared_error (mse) or mean_absolute_error (mae))");
}

}  // namespace nn
