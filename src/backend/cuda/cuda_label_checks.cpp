// The CUDA backend's label checks (check_class_labels): each batch's labels are checked on the
// device (the first bad row reduced there), the verdict copied to a page-locked slot, and a bad
// label raised as std::out_of_range at the next wait on its stream or on the device, so training
// never stops to look.
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

#include "cuda_backend.hpp"
#include "cuda_check.hpp"
#include "cuda_kernels.hpp"

namespace nn::detail::cuda {
namespace {

constexpr int64_t kNoBadRow = std::numeric_limits<int64_t>::max();  // find_bad_label's "none"
constexpr int kSlotsPerChunk = 256;

}  // namespace

// Whether a check's verdict has landed; a device fault is kept in `fault` (the first) for the caller.
bool CudaBackend::landed(const LabelCheck& c, std::exception_ptr& fault) {
  try {
    return c.done.query();
  } catch (...) {
    if (!fault) fault = std::current_exception();
    return false;
  }
}

void CudaBackend::reclaim_checks() {
  std::exception_ptr fault;  // left to the next wait to report
  size_t kept = 0;
  for (size_t i = 0; i < checks_.size(); ++i) {
    LabelCheck& c = checks_[i];
    if (landed(c, fault) && *c.bad_row == kNoBadRow) {
      free_slots_.push_back(c.slot);
      continue;
    }
    if (kept != i) checks_[kept] = std::move(c);
    ++kept;
  }
  checks_.resize(kept);
}

void CudaBackend::check_class_labels(const void* labels, DType dtype, int64_t n, int64_t classes,
                                     const std::string& what) {
  if (n <= 0) return;
  Slot* slot = nullptr;
  {
    std::lock_guard<std::mutex> lock(checks_mutex_);
    reclaim_checks();
    if (free_slots_.empty()) {  // a chunk of page-locked slots the device's verdicts are copied to
      activate();
      void* chunk = nullptr;
      NN_CUDA_CHECK(cudaHostAlloc(&chunk, kSlotsPerChunk * sizeof(Slot), cudaHostAllocPortable));
      auto* slots = static_cast<Slot*>(chunk);
      for (int i = 0; i < kSlotsPerChunk; ++i) free_slots_.push_back(slots + i);
    }
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  // The verdict is reduced in device memory (atomicMin on the row), then copied to the host's slot.
  try {
    std::shared_ptr<float> verdict = scratch(sizeof(Slot));
    auto* device_slot = reinterpret_cast<Slot*>(verdict.get());
    cudaStream_t s = queue();
    find_bad_label(s, labels, dtype, n, classes, &device_slot->bad_row, &device_slot->bad_value);
    NN_CUDA_CHECK(cudaMemcpyAsync(slot, device_slot, sizeof(Slot), cudaMemcpyDeviceToHost, s));
    StreamPtr stream = current_stream();
    Event done(stream);
    std::lock_guard<std::mutex> lock(checks_mutex_);
    checks_.push_back({slot, &slot->bad_row, &slot->bad_value, classes, what, stream.get(), std::move(done)});
  } catch (...) {
    std::lock_guard<std::mutex> lock(checks_mutex_);
    free_slots_.push_back(slot);
    throw;
  }
}

void CudaBackend::raise_recorded_errors(const Stream* waited) {
  std::exception_ptr first;
  {
    std::lock_guard<std::mutex> lock(checks_mutex_);
    size_t kept = 0;
    for (size_t i = 0; i < checks_.size(); ++i) {
      LabelCheck& c = checks_[i];
      const bool done = landed(c, first);
      // A check is raised by a wait on its own stream, or on the whole device.
      const bool mine = waited == nullptr || waited == c.stream;
      if (done && (mine || *c.bad_row == kNoBadRow)) {
        if (*c.bad_row != kNoBadRow && !first)
          first = std::make_exception_ptr(std::out_of_range(fmt::format(
              "{}: label {} of row {} is not a class index in [0, {})", c.what, *c.bad_value, *c.bad_row, c.classes)));
        free_slots_.push_back(c.slot);
        continue;
      }
      if (kept != i) checks_[kept] = std::move(c);
      ++kept;
    }
    checks_.resize(kept);
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace nn::detail::cuda
