// nn::distributed on MPI: one fused buffer per collective (llm.c's and Horovod's tensor fusion),
// MPI_Allreduce in place with MPI_SUM, then the scale.
#include "nn/distributed.hpp"

#include <mpi.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace nn::distributed {
namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int n = 0;
  MPI_Error_string(rc, text, &n);
  throw std::runtime_error(std::string(call) + " failed: " + std::string(text, static_cast<size_t>(n)));
}

void require_init(const char* what) {
  if (!is_initialized()) throw std::logic_error(std::string("nn::distributed::") + what + ": call init() first");
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// The tensors' values packed into one host buffer, and back.
std::vector<float> pack(const std::vector<Tensor>& tensors) {
  size_t n = 0;
  for (const Tensor& t : tensors) {
    if (t.dtype() != kFloat32)
      throw std::invalid_argument("nn::distributed: tensors must be float32, got " + to_string(t.dtype()));
    n += static_cast<size_t>(t.numel());
  }
  std::vector<float> buf(n);
  size_t at = 0;
  for (const Tensor& t : tensors) {
    const Tensor host = t.to(Device::cpu());
    if (host.numel() > 0) std::memcpy(buf.data() + at, host.data(), static_cast<size_t>(host.numel()) * 4);
    at += static_cast<size_t>(host.numel());
  }
  return buf;
}

void unpack(const std::vector<float>& buf, const std::vector<Tensor>& tensors) {
  size_t at = 0;
  for (const Tensor& t : tensors) {
    const auto n = static_cast<size_t>(t.numel());
    Tensor dst = t;  // shares t's storage
    dst.copy_from(Tensor::from_vector(t.shape(), std::vector<float>(buf.begin() + static_cast<std::ptrdiff_t>(at),
                                                                    buf.begin() + static_cast<std::ptrdiff_t>(at + n))));
    at += n;
  }
}

int checked_count(size_t n) {
  if (n > static_cast<size_t>(INT32_MAX)) throw std::invalid_argument("nn::distributed: over 2^31 elements in one call");
  return static_cast<int>(n);
}

}  // namespace

void init() {
  if (is_initialized()) return;
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  std::atexit(finalize_at_exit);
}

bool is_initialized() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  return initialized != 0;
}

int rank() {
  require_init("rank");
  int r = 0;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &r), "MPI_Comm_rank");
  return r;
}

int size() {
  require_init("size");
  int n = 1;
  check(MPI_Comm_size(MPI_COMM_WORLD, &n), "MPI_Comm_size");
  return n;
}

int local_rank() {
  require_init("local_rank");
  MPI_Comm local;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local), "MPI_Comm_split_type");
  int r = 0;
  MPI_Comm_rank(local, &r);
  MPI_Comm_free(&local);
  return r;
}

void barrier() {
  require_init("barrier");
  check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

void all_reduce(const std::vector<Tensor>& tensors, float scale) {
  require_init("all_reduce");
  std::vector<float> buf = pack(tensors);
  if (size() > 1)
    check(MPI_Allreduce(MPI_IN_PLACE, buf.data(), checked_count(buf.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
  if (scale != 1.0f)
    for (float& v : buf) v *= scale;
  unpack(buf, tensors);
}

void broadcast(const std::vector<Tensor>& tensors, int root) {
  require_init("broadcast");
  if (root < 0 || root >= size())
    throw std::invalid_argument("nn::distributed::broadcast: root " + std::to_string(root) + " is not a rank");
  if (size() == 1) return;
  std::vector<float> buf = pack(tensors);
  check(MPI_Bcast(buf.data(), checked_count(buf.size()), MPI_FLOAT, root, MPI_COMM_WORLD), "MPI_Bcast");
  unpack(buf, tensors);
}

void distribute(Model& model) {
  require_init("distribute");
  if (!model.built()) throw std::invalid_argument("nn::distributed::distribute: the model is not built");
  std::vector<Tensor> weights;
  for (const Variable& p : model.parameters()) weights.push_back(p.value());
  broadcast(weights, 0);
  if (size() == 1) return;
  const float mean = 1.0f / static_cast<float>(size());
  model.set_gradient_hook([mean](const std::vector<Variable>& params) {
    // Every rank sends every trainable parameter's gradient, so the buffers line up; a parameter
    // without one this step (unused) contributes zeros and stays without one here.
    std::vector<Tensor> grads;
    std::vector<Tensor> zeros;
    for (const Variable& p : params) {
      if (!p.requires_grad()) continue;
      if (p.has_grad()) {
        grads.push_back(p.grad());
      } else {
        zeros.push_back(Tensor::zeros(p.shape(), p.value().device()));
        grads.push_back(zeros.back());
      }
    }
    all_reduce(grads, mean);
  });
}

}  // namespace nn::distributed
