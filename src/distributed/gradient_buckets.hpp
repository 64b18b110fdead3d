#pragma once
// Data-parallel gradient averaging in buckets that overlap backward (PyTorch DDP's reducer,
// Horovod's tensor fusion): the trainable parameters, in reverse order (the order backward
// finishes them), are grouped into buckets of about `bucket_bytes`; when backward has finished
// every gradient of a bucket (Variable::set_grad_ready_hook), the bucket is packed into its
// host buffer and its MPI_Iallreduce starts while backward goes on. finish(), after backward, starts the
// buckets left (a parameter the pass did not reach sends zeros), waits for all and writes the
// averages back. Device gradients are staged through page-locked host memory (MPI reads host
// memory here; a CUDA-aware MPI could take device pointers, which OpenMPI builds do not promise).
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "nn/autograd/variable.hpp"

namespace nn::distributed::detail {

// Adds to nn::distributed::stats() (distributed.cpp).
void record_exchange(int64_t all_reduces, int64_t bytes, double seconds);

class GradientBuckets : public std::enable_shared_from_this<GradientBuckets> {
 public:
  GradientBuckets(std::vector<Variable> parameters, size_t bucket_bytes, float scale);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Registers the hooks (held weakly: they do nothing once this is gone).
  void attach();
  void finish();
  size_t num_buckets() const { return buckets_.size(); }


 private:
  struct Bucket {
    std::vector<size_t> members;  // indices into parameters_
    std::vector<size_t> offsets;  // each member's place in the buffer
    size_t floats = 0;
    // The buffer MPI reduces in: host memory from the gradients' backend (page-locked for a GPU's,
    // so their copies run at full speed), made again if the parameters move to another device.
    std::shared_ptr<void> storage;
    Device device = Device::cpu();
    float* data() const { return static_cast<float*>(storage.get()); }
    size_t ready = 0;
    bool started = false;
    MPI_Request request = MPI_REQUEST_NULL;
  };
  void ready(size_t bucket);
  void start(Bucket& b);

  std::vector<Variable> parameters_;
  std::vector<Bucket> buckets_;
  size_t next_ = 0;  // the first bucket not started this pass
  float scale_;
};

}  // namespace nn::distributed::detail
