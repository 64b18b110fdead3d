#include "gradient_buckets.hpp"

#include "mpi_check.hpp"

#include "nn/backend/backend.hpp"

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace nn::distributed::detail {
namespace {

// Seconds spent here (packing, starting, waiting, unpacking): the exchange's share of a step that
// backward did not hide, for nn::distributed::stats().
class Timer {
 public:
  Timer() : start_(std::chrono::steady_clock::now()) {}
  ~Timer() { record_exchange(0, 0, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count()); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

GradientBuckets::GradientBuckets(std::vector<Variable> parameters, size_t bucket_bytes, float scale)
    : parameters_(std::move(parameters)), scale_(scale) {
  size_t bytes = 0;
  for (size_t k = parameters_.size(); k-- > 0;) {  // the order backward finishes them
    const auto n = static_cast<size_t>(parameters_[k].value().numel());
    if (buckets_.empty() || bytes >= bucket_bytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    b.members.push_back(k);
    b.offsets.push_back(bytes / sizeof(float));
    bytes += n * sizeof(float);
  }
  for (Bucket& b : buckets_) {
    size_t floats = 0;
    for (size_t m : b.members) floats += static_cast<size_t>(parameters_[m].value().numel());
    if (floats > static_cast<size_t>(INT32_MAX)) throw std::invalid_argument("nn::distributed: a bucket over 2^31 floats");
    b.floats = floats;
  }
}

GradientBuckets::~GradientBuckets() {
  for (Bucket& b : buckets_)
    if (b.request != MPI_REQUEST_NULL) MPI_Wait(&b.request, MPI_STATUS_IGNORE);
}

void GradientBuckets::attach() {
  std::weak_ptr<GradientBuckets> self = weak_from_this();
  for (size_t k = 0; k < buckets_.size(); ++k)
    for (size_t m : buckets_[k].members)
      parameters_[m].set_grad_ready_hook([self, k] {
        if (auto s = self.lock()) s->ready(k);
      });
}

void GradientBuckets::ready(size_t bucket) {
  const Timer timer;
  ++buckets_[bucket].ready;
  // Collectives start in the same order on every rank: a bucket waits for those before it.
  while (next_ < buckets_.size() && buckets_[next_].ready == buckets_[next_].members.size()) start(buckets_[next_++]);
  for (Bucket& b : buckets_) {  // lets MPI move the started ones along
    int done = 0;
    if (b.request != MPI_REQUEST_NULL) check(MPI_Test(&b.request, &done, MPI_STATUS_IGNORE), "MPI_Test");
  }
}

void GradientBuckets::start(Bucket& b) {
  const Device device = parameters_[b.members[0]].value().device();
  if (!b.storage || b.device != device) {
    b.storage = backend_for(device).host_staging(b.floats * sizeof(float));
    b.device = device;
  }
  Backend& be = backend_for(device);
  for (size_t i = 0; i < b.members.size(); ++i) {
    const Variable& p = parameters_[b.members[i]];
    float* dst = b.data() + b.offsets[i];
    const int64_t n = p.value().numel();
    if (!p.has_grad()) {
      std::memset(dst, 0, static_cast<size_t>(n) * sizeof(float));  // not reached this pass: contributes nothing
    } else if (p.grad().device() == device) {
      be.copy_to_host(p.grad().data_ptr(), dst, n);
    } else {
      throw std::invalid_argument("nn::distributed: the parameters of a bucket are on different devices");
    }
  }
  check(MPI_Iallreduce(MPI_IN_PLACE, b.data(), static_cast<int>(b.floats), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                       &b.request),
        "MPI_Iallreduce");
  b.started = true;
  record_exchange(1, static_cast<int64_t>(b.floats * sizeof(float)), 0.0);
}

void GradientBuckets::finish() {
  const Timer timer;
  while (next_ < buckets_.size()) start(buckets_[next_++]);
  for (Bucket& b : buckets_) {
    check(MPI_Wait(&b.request, MPI_STATUS_IGNORE), "MPI_Wait");
    float* sums = b.data();
    for (size_t j = 0; j < b.floats; ++j) sums[j] *= scale_;  // the mean
    Backend& be = backend_for(b.device);
    for (size_t i = 0; i < b.members.size(); ++i) {
      Variable p = parameters_[b.members[i]];
      const float* src = sums + b.offsets[i];
      const int64_t n = p.value().numel();
      if (!p.has_grad()) {  // nowhere reached stays without one; reached elsewhere takes the average
        bool any = false;
        for (int64_t j = 0; j < n && !any; ++j) any = src[j] != 0.0f;
        if (!any) continue;
        p.add_grad(Tensor::zeros(p.shape(), p.value().device()));
      }
      Tensor g = p.grad();  // shares the gradient's storage
      be.copy_from_host(src, g.data_ptr(), n);
    }
    b.ready = 0;
    b.started = false;
  }
  next_ = 0;
}

}  // namespace nn::distributed::detail
