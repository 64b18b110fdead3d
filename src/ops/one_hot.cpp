#include "nn/ops/one_hot.hpp"

#include "backend/fallback.hpp"

#include <stdexcept>

#include "nn/backend/backend.hpp"
#include "ops/labels.hpp"

namespace nn {

Tensor one_hot(const Tensor& labels, int64_t classes) {
  if (!labels.defined()) throw std::invalid_argument("one_hot: labels are undefined");
  if (classes < 1)
    throw std::invalid_argument("one_hot: classes must be positive, got " + std::to_string(classes));
  const Tensor checked = detail::class_labels(labels, classes, "one_hot");
  Shape shape = labels.shape();
  shape.push_back(classes);
  Tensor out(shape, labels.device());
  detail::run_kernel(Kernel::OneHot, {&checked}, {&out}, [&](Backend& be, const auto& in, const auto& o) {
    be.one_hot(detail::as<int64_t>(in[0]), detail::as<float>(o[0]), labels.numel(), classes);
  });
  return out;
}

}  // namespace nn
