#pragma once
// Data-parallel training over MPI (the nn::distributed component, built where MPI is found:
// NN_WITH_MPI; Debian: libopenmpi-dev). Every rank holds the whole model, reads its own part of
// the data (Dataset::shard) and averages the gradients with the others before each update, so N
// ranks with batches of B / N take the steps one process takes with batches of B.
//
//   nn::distributed::init();                       // joins the job mpirun started
//   auto ds = nn::data::Dataset::from_tensor_slices(x, y)
//                 .shard(nn::distributed::size(), nn::distributed::rank())
//                 .shuffle(60000, 42).batch(global_batch / nn::distributed::size());
//   model.compile(...);
//   nn::distributed::distribute(model);            // rank 0's weights everywhere, gradients averaged
//   model.fit(ds, ...);
//
// A process not started by mpirun is a world of one, where all of this does nothing.
#include <cstdint>
#include <string>
#include <vector>

#include "nn/model/model.hpp"
#include "nn/tensor.hpp"

namespace nn::distributed {

// Initialises MPI once (threads: funneled through the caller); later calls do nothing. MPI is
// finalized when the process exits.
void init();
bool is_initialized();

int rank();        // 0 .. size() - 1 (init() first)
int size();        // the number of ranks in the job
int local_rank();  // among the ranks on this machine (for choosing a GPU)

void barrier();

// Sums each float32 tensor over all ranks in place, then multiplies it by `scale` (1 / size() for
// the mean). The tensors travel packed in one buffer, in one MPI_Allreduce; device tensors pass
// through host memory. Every rank must pass tensors of the same shapes, in the same order.
void all_reduce(const std::vector<Tensor>& tensors, float scale = 1.0f);
// What all_reduce has done in this process since the start (or reset_stats): calls, the float32
// bytes each rank contributed, and the seconds spent in them (copies to and from the buffer
// included): how much of a step the gradients' exchange takes.
struct Stats {
  int64_t all_reduces = 0;
  int64_t bytes = 0;
  double seconds = 0.0;
};
Stats stats();
void reset_stats();

// Rank `root`'s values into every rank's tensors (same shapes everywhere), in one MPI_Bcast.
void broadcast(const std::vector<Tensor>& tensors, int root = 0);

// Prints `message` and ends every rank of the job with exit status `code` (MPI_Abort): what a
// failure on one rank does, so that the others do not wait for it forever.
[[noreturn]] void abort(const std::string& message, int code = 1);

// Makes `model` (built) train data-parallel: every weight (non-trainable ones included) and layer
// state (Dropout's generator) takes rank 0's value now; each training step averages the gradients
// over the ranks before the optimizer updates, in buckets of about `bucket_bytes` that start their
// MPI_Iallreduce as soon as backward has finished their gradients (Variable::set_grad_ready_hook),
// so the exchange overlaps the rest of backward (Model::set_gradient_hook waits for the last);
// fit and evaluate
// cooperate over the ranks (Model::set_replicas, nn/model/replicas.hpp: epochs end together, logs
// and BatchNormalization's moving statistics are reduced, only rank 0 writes, a failure ends all);
// its Dropout and augmentation layers draw each rank's rows from the global batch's counters
// (Dropout::set_rows, RandomAugmentation::set_rows).
void distribute(Model& model, int64_t bucket_bytes = int64_t{4} << 20);

}  // namespace nn::distributed
