// nn::distributed on MPI: one fused buffer per collective (llm.c's and Horovod's tensor fusion),
// MPI_Allreduce in place with MPI_SUM, then the scale.
#include "nn/distributed.hpp"

#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "gradient_buckets.hpp"
#include "mpi_check.hpp"
#include "nn/layers/augmentation.hpp"
#include "nn/layers/dropout.hpp"

namespace nn::distributed {
namespace {

using detail::check;

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

namespace {
Stats g_stats;  // all_reduce runs on the thread that steps (MPI_THREAD_FUNNELED)
}  // namespace

Stats stats() { return g_stats; }

namespace detail {
void record_exchange(int64_t all_reduces, int64_t bytes, double seconds) {
  g_stats.all_reduces += all_reduces;
  g_stats.bytes += bytes;
  g_stats.seconds += seconds;
}
}  // namespace detail
void reset_stats() { g_stats = Stats(); }

void all_reduce(const std::vector<Tensor>& tensors, float scale) {
  require_init("all_reduce");
  const auto start = std::chrono::steady_clock::now();
  std::vector<float> buf = pack(tensors);
  if (size() > 1)
    check(MPI_Allreduce(MPI_IN_PLACE, buf.data(), checked_count(buf.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
  if (scale != 1.0f)
    for (float& v : buf) v *= scale;
  unpack(buf, tensors);
  ++g_stats.all_reduces;
  g_stats.bytes += static_cast<int64_t>(buf.size() * sizeof(float));
  g_stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

namespace {

// The MPI job as fit's Replicas.
class MpiReplicas : public Replicas {
 public:
  int rank() const override { return distributed::rank(); }
  int size() const override { return distributed::size(); }
  void all_reduce(const std::vector<Tensor>& tensors, float scale) override { distributed::all_reduce(tensors, scale); }
  void all_reduce(std::vector<double>& values) override {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), checked_count(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
  }
  void barrier() override { distributed::barrier(); }
  [[noreturn]] void abort(const std::string& message) override { distributed::abort(message); }
};

// Every layer's state (a Dropout's generator) takes rank 0's: the ranks draw the same seeds each step.
void broadcast_layer_states(Model& model) {
  std::vector<std::pair<LayerPtr, Config>> states;
  std::vector<int64_t> values;
  for (const LayerPtr& l : model.layers()) {
    Config st = l->state();
    for (const auto& [key, v] : st)
      if (const auto* i = std::get_if<int64_t>(&v)) values.push_back(*i);
    if (!st.empty()) states.emplace_back(l, std::move(st));
  }
  if (values.empty()) return;
  check(MPI_Bcast(values.data(), checked_count(values.size()), MPI_INT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast");
  size_t at = 0;
  for (auto& [layer, st] : states) {
    for (auto& [key, v] : st)
      if (std::holds_alternative<int64_t>(v)) v = values[at++];
    layer->load_state(st);
  }
}

}  // namespace

void abort(const std::string& message, int code) {
  std::fprintf(stderr, "nn::distributed: %s; ending every rank\n", message.c_str());
  std::fflush(stderr);
  if (is_initialized()) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

void distribute(Model& model, int64_t bucket_bytes) {
  if (bucket_bytes < 1) throw std::invalid_argument("nn::distributed::distribute: bucket_bytes must be positive");
  require_init("distribute");
  if (!model.built()) throw std::invalid_argument("nn::distributed::distribute: the model is not built");
  std::vector<Tensor> weights;
  for (const Variable& p : model.parameters()) weights.push_back(p.value());
  broadcast(weights, 0);
  if (size() == 1) return;
  broadcast_layer_states(model);
  for (const LayerPtr& l : model.layers())
    if (auto* d = dynamic_cast<Dropout*>(l.get()))
      d->set_rows({rank(), size()});
    else if (auto* a = dynamic_cast<RandomAugmentation*>(l.get()))
      a->set_rows({rank(), size()});
  model.set_replicas(std::make_shared<MpiReplicas>());
  // Every rank averages every trainable parameter's gradient, bucket by bucket as backward
  // finishes them; the optimizer's step waits for the last.
  std::vector<Variable> trainable;
  for (const Variable& p : model.parameters())
    if (p.requires_grad()) trainable.push_back(p);
  auto buckets = std::make_shared<detail::GradientBuckets>(std::move(trainable), static_cast<size_t>(bucket_bytes),
                                                           1.0f / static_cast<float>(size()));
  buckets->attach();
  model.set_gradient_hook([buckets](const std::vector<Variable>&) { buckets->finish(); });
}

}  // namespace nn::distributed
