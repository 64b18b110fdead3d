#include "ops/labels.hpp"

#include "nn/backend/backend.hpp"

namespace nn::detail {

Tensor class_labels(const Tensor& y, int64_t classes, const std::string& what) {
  // Checked by the labels' own backend (a device raises a bad one at its next synchronization,
  // so training does not wait for the device every step), converted there.
  backend_for(y.device()).check_class_labels(y.untyped_data_ptr(), y.dtype(), y.numel(), classes, what);
  return y.to(kInt64);
}

}  // namespace nn::detail
