#include "cuda_stream.hpp"

#include <algorithm>

#include "cuda_check.hpp"
#include "cuda_device.hpp"

namespace nn::detail::cuda {

CudaStream::CudaStream(Device device, std::function<void(const CudaStream*)> on_wait) : device_(device), on_wait_(std::move(on_wait)) {
  activate(device_.index);
  NN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

CudaStream::~CudaStream() {
  // No throwing here: a context already torn down at exit (or a device fault) leaves these to the driver.
  activate_noexcept(device_.index);
  for (auto& [position, e] : pending_) cudaEventDestroy(e);
  for (cudaEvent_t e : spare_) cudaEventDestroy(e);
  cudaStreamDestroy(stream_);
}

void CudaStream::poll() const {
  while (!pending_.empty()) {
    const cudaError_t e = cudaEventQuery(pending_.front().second);
    if (e == cudaErrorNotReady) return;
    if (e != cudaSuccess) throw_cuda(e, "cudaEventQuery");
    passed_ = std::max(passed_, pending_.front().first);
    spare_.push_back(pending_.front().second);
    pending_.pop_front();
  }
}

uint64_t CudaStream::record() {
  std::lock_guard<std::mutex> lock(mutex_);
  return ++recorded_;
}

cudaEvent_t CudaStream::event_covering(uint64_t position) const {
  if (position <= passed_) return nullptr;
  poll();
  if (position <= passed_) return nullptr;
  if (pending_.empty() || pending_.back().first < position) {  // made now: after everything queued so far
    activate(device_.index);
    cudaEvent_t e;
    if (!spare_.empty()) {
      e = spare_.back();
      spare_.pop_back();
    } else {
      NN_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    }
    const cudaError_t rc = cudaEventRecord(e, stream_);
    if (rc != cudaSuccess) {
      spare_.push_back(e);
      throw_cuda(rc, "cudaEventRecord");
    }
    pending_.emplace_back(recorded_, e);
  }
  for (const auto& [p, e] : pending_)  // the earliest event at or after the position
    if (p >= position) return e;
  return nullptr;
}

bool CudaStream::passed(uint64_t position) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (position <= passed_) return true;
  event_covering(position);  // an event for it exists from now on; the next query may find it passed
  poll();
  return position <= passed_;
}

void CudaStream::wait_until(uint64_t position) {
  cudaEvent_t e = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    e = event_covering(position);
  }
  // Outside the lock, so the allocator's queries go on meanwhile. Were the event passed and
  // recorded again in between, this would wait longer, never too little.
  if (e) {
    activate(device_.index);
    NN_CUDA_CHECK(cudaEventSynchronize(e));
    std::lock_guard<std::mutex> lock(mutex_);
    poll();
  }
  if (on_wait_) on_wait_(this);
}

uint64_t CudaStream::recorded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return recorded_;
}

void CudaStream::mark_passed(uint64_t upto) {
  std::lock_guard<std::mutex> lock(mutex_);
  poll();
  passed_ = std::max(passed_, upto);
}

void CudaStream::synchronize() {
  const uint64_t upto = recorded();  // every position recorded before the wait has run after it
  activate(device_.index);
  NN_CUDA_CHECK(cudaStreamSynchronize(stream_));
  mark_passed(upto);
  if (on_wait_) on_wait_(this);
}

void CudaStream::enqueue_wait(cudaStream_t waiter, uint64_t position) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cudaEvent_t e = event_covering(position)) NN_CUDA_CHECK(cudaStreamWaitEvent(waiter, e, 0));
}

void CudaStream::wait_for(const Event& event) {
  const StreamPtr& other = event.stream();
  if (!other || other.get() == this) return;  // in order on one stream
  auto* cuda = dynamic_cast<CudaStream*>(other.get());
  if (!cuda) {  // another kind of device's stream: the host waits for it
    event.synchronize();
    return;
  }
  activate(device_.index);
  cuda->enqueue_wait(stream_, event.position());
}

}  // namespace nn::detail::cuda
