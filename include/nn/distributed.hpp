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
// Rank `root`'s values into every rank's tensors (same shapes everywhere), in one MPI_Bcast.
void broadcast(const std::vector<Tensor>& tensors, int root = 0);

// Makes `model` (built) train data-parallel: every weight (non-trainable ones included) takes rank
// 0's value now, and each training step averages the gradients over the ranks before the
// optimizer updates (Model::set_gradient_hook). Every rank must then run the same number of steps.
void distribute(Model& model);

}  // namespace nn::distributed
