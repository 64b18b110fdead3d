#include "nn/losses.hpp"

#include "nn/registry.hpp"

#include <stdexcept>

#include "nn/ops/activation.hpp"
#include "nn/ops/arithmetic.hpp"
#include "nn/ops/cross_entropy.hpp"
#include "nn/tensor_ops.hpp"

namespace nn {
namespace {
constexpr float kEpsilon = 1e-7f;  // Keras's backend epsilon

// -sum(t * log(clip(p / sum(p)))) per row: (N, C) -> (N)
Variable cross_entropy_from_probs(const Variable& p, const Tensor& targets) {
  Variable normalised = div(p, sum(p, -1, true));
  Variable logp = log(clip(normalised, kEpsilon, 1.0f - kEpsilon));
  return neg(sum(mul(logp, Variable(targets)), -1));
}

float checked_smoothing(float s, const char* loss) {
  if (!(s >= 0.0f && s < 1.0f))
    throw std::invalid_argument(std::string(loss) + ": label_smoothing must be in [0, 1), got " + std::to_string(s));
  return s;
}

// targets (N, C) -> targets (1 - s) + s / C
Tensor smooth(const Tensor& targets, float s) {
  if (s == 0.0f) return targets;
  const float spread = s / static_cast<float>(targets.shape()[1]);
  return targets * (1.0f - s) + spread;
}

// f(y_pred - y_true) averaged over the last axis, then reduced over the batch (MSE: square, MAE: abs).
Variable mean_error(const Variable& y_pred, const Tensor& y_true, Reduction reduction, const char* loss,
                    Variable (*f)(const Variable&)) {
  if (y_true.shape() != y_pred.shape())
    throw std::invalid_argument(std::string(loss) + ": targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  Variable e = f(sub(y_pred, Variable(y_true.to(kFloat32))));
  if (e.shape().size() >= 2) return reduce(mean(e, -1), reduction);
  return reduce(e, reduction);
}

void check_2d(const Variable& y_pred, const char* loss) {
  if (y_pred.shape().size() != 2)
    throw std::invalid_argument(std::string(loss) + ": predictions must be (N, C), got " +
                                to_string(y_pred.shape()));
}
}  // namespace

CategoricalCrossentropyBase::CategoricalCrossentropyBase(const CrossentropyOptions& o, bool sparse, const char* name)
    : Loss(o.reduction()),
      name_(name),
      sparse_(sparse),
      from_logits_(o.from_logits()),
      label_smoothing_(checked_smoothing(o.label_smoothing(), name)) {}

Variable CategoricalCrossentropyBase::operator()(const Variable& y_pred, const Tensor& y_true) const {
  check_2d(y_pred, name_);
  const Shape expected = sparse_ ? Shape{y_pred.shape()[0]} : y_pred.shape();
  if (y_true.shape() != expected)
    throw std::invalid_argument(std::string(name_) + ": " + (sparse_ ? "labels" : "targets") + " of shape " +
                                to_string(y_true.shape()) + " for predictions of shape " + to_string(y_pred.shape()));
  // Labels go to the fused kernel as they are; otherwise against (smoothed) distributions.
  if (sparse_ && from_logits_ && label_smoothing_ == 0.0f) return softmax_cross_entropy(y_pred, y_true, reduction_);
  const Tensor targets =
      smooth(sparse_ ? one_hot(y_true, y_pred.shape()[1]) : y_true.to(kFloat32), label_smoothing_);
  if (from_logits_) return softmax_cross_entropy(y_pred, targets, reduction_);
  return reduce(cross_entropy_from_probs(y_pred, targets), reduction_);
}

std::shared_ptr<Loss> CategoricalCrossentropyBase::with_logits() const {
  const auto o = CrossentropyOptions().from_logits(true).reduction(reduction_).label_smoothing(label_smoothing_);
  if (sparse_) return std::make_shared<SparseCategoricalCrossentropy>(o);
  return std::make_shared<CategoricalCrossentropy>(o);
}

BinaryCrossentropy::BinaryCrossentropy(CrossentropyOptions o) : Loss(o.reduction()), from_logits_(o.from_logits()) {
  if (o.label_smoothing() != 0.0f)
    throw std::invalid_argument("binary_crossentropy: label_smoothing is not supported (only the categorical ones)");
}

Variable MeanSquaredError::operator()(const Variable& y_pred, const Tensor& y_true) const {
  return mean_error(y_pred, y_true, reduction_, "mean_squared_error", square);
}

Variable MeanAbsoluteError::operator()(const Variable& y_pred, const Tensor& y_true) const {
  return mean_error(y_pred, y_true, reduction_, "mean_absolute_error", abs);
}

Variable BinaryCrossentropy::operator()(const Variable& y_pred, const Tensor& y_true) const {
  if (y_true.shape() != y_pred.shape())
    throw std::invalid_argument("binary_crossentropy: targets of shape " + to_string(y_true.shape()) +
                                " for predictions of shape " + to_string(y_pred.shape()));
  const Variable y(y_true.to(kFloat32));
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

namespace {
// A loss without label smoothing: smoothing given to it is an error.
template <class Make>
LossFactory plain(Make make) {
  return [make](const std::string& name, bool from_logits, float label_smoothing) -> LossPtr {
    if (label_smoothing != 0.0f)
      throw std::invalid_argument("label_smoothing applies to the cross-entropies, not to '" + name + "'");
    return make(from_logits);
  };
}

Registry<LossFactory>& losses() {
  static Registry<LossFactory>* r = [] {
    auto* reg = new Registry<LossFactory>("loss", "nn::register_loss");
    reg->add("sparse_categorical_crossentropy", [](const std::string&, bool from_logits, float smoothing) -> LossPtr {
      return std::make_shared<SparseCategoricalCrossentropy>(
          CrossentropyOptions().from_logits(from_logits).label_smoothing(smoothing));
    });
    reg->add("categorical_crossentropy", [](const std::string&, bool from_logits, float smoothing) -> LossPtr {
      return std::make_shared<CategoricalCrossentropy>(
          CrossentropyOptions().from_logits(from_logits).label_smoothing(smoothing));
    });
    reg->add("binary_crossentropy", plain([](bool from_logits) { return std::make_shared<BinaryCrossentropy>(from_logits); }));
    reg->add("mean_squared_error", plain([](bool) { return std::make_shared<MeanSquaredError>(); }), {"mse"});
    reg->add("mean_absolute_error", plain([](bool) { return std::make_shared<MeanAbsoluteError>(); }), {"mae"});
    return reg;
  }();
  return *r;
}
}  // namespace

LossPtr make_loss(const std::string& name, bool from_logits, float label_smoothing) {
  return losses().get(name)(name, from_logits, label_smoothing);
}

void register_loss(const std::string& name, LossFactory factory) { losses().add(name, std::move(factory)); }

}  // namespace nn
