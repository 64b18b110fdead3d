#include "cuda_stream.hpp"

#include "cuda_check.hpp"
#include "cuda_device.hpp"

namespace nn::detail::cuda {

CudaStream::CudaStream(Device device, std::function<void()> on_wait) : device_(device), on_wait_(std::move(on_wait)) {
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
    passed_ = pending_.front().first;
    spare_.push_back(pending_.front().second);
    pending_.pop_front();
  }
}

uint64_t CudaStream::record() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!dirty_) return recorded_;  // no work since the last event: it marks this point too
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
  pending_.emplace_back(++recorded_, e);
  dirty_ = false;
  return recorded_;
}

bool CudaStream::passed(uint64_t position) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (position <= passed_) return true;
  poll();
  return position <= passed_;
}

void CudaStream::wait_until(uint64_t position) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    poll();
    for (auto& [p, e] : pending_)
      if (p >= position) {
        activate(device_.index);
        NN_CUDA_CHECK(cudaEventSynchronize(e));
        break;
      }
    poll();
  }
  if (on_wait_) on_wait_();
}

void CudaStream::synchronize() {
  activate(device_.index);
  NN_CUDA_CHECK(cudaStreamSynchronize(stream_));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    poll();
  }
  if (on_wait_) on_wait_();
}

void CudaStream::enqueue_wait(cudaStream_t waiter, uint64_t position) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (position <= passed_) return;
  poll();
  for (auto& [p, e] : pending_)
    if (p >= position) {
      NN_CUDA_CHECK(cudaStreamWaitEvent(waiter, e, 0));
      return;
    }
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
