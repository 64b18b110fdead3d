// Dataset::device_batches: a dataset kept whole on a device, batched there by index.
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/data/dataset.hpp"
#include "nn/tensor_ops.hpp"

namespace nn::data {

Dataset Dataset::device_batches(Tensor x, Tensor y, Device device, int64_t batch_size, bool shuffle,
                                std::optional<uint64_t> seed, std::function<Tensor(const Tensor&)> transform) {
  if (!x.defined() || x.ndim() < 1) throw std::invalid_argument("device_batches: x needs at least one dimension");
  if (y.defined() && (y.ndim() < 1 || y.dim(0) != x.dim(0)))
    throw std::invalid_argument("device_batches: x " + to_string(x.shape()) + " and y " + to_string(y.shape()) +
                                " differ in their number of examples");
  if (batch_size < 1) throw std::invalid_argument("device_batches: batch_size must be positive, got " + std::to_string(batch_size));
  const int64_t n = x.dim(0);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  // The indices go through the pipeline in the examples' place: shuffled as they would be, batched.
  Dataset ds = from_tensor_slices(Tensor::from_vector({n}, order), Tensor());
  if (shuffle) ds = ds.shuffle(n, seed);
  const Tensor xd = x.to(device), yd = y.defined() ? y.to(device) : Tensor();
  return ds.batch(batch_size).map([xd, yd, transform](Example e) {
    const Tensor index = e.x.to(xd.device());  // sent once; index_select checks a device index there
    Tensor bx = index_select(xd, index);
    if (transform) bx = transform(bx);
    return Example{bx, yd.defined() ? index_select(yd, index) : Tensor()};
  });
}

}  // namespace nn::data
