#pragma once
// Replicas: how fit and evaluate cooperate with the other copies of a model in a data-parallel job.
// nn::distributed::distribute(model) gives a model the MPI job's; a model without replicas is the
// whole job. With replicas, fit and evaluate on every rank:
//   - end an epoch together: when one rank's dataset runs out (shards of unequal size), every rank
//     stops there; a callback's stop_training on one rank stops all;
//   - give every rank the same logs: the loss and metrics (training and validation) are summed over
//     the ranks before an epoch ends or an evaluation returns (Metric::totals);
//   - average BatchNormalization's moving statistics over the ranks at each epoch's end;
//   - run the callbacks that write (progress bar, checkpoints, TensorBoard, CSV) on rank 0 only,
//     and wait for rank 0 at each epoch's end, so no rank races ahead of its checkpoint;
//   - turn an exception on any rank into abort(): every rank ends with the error, none waits forever.
#include <memory>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace nn {

class Replicas {
 public:
  virtual ~Replicas() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Sums each float32 tensor over the replicas in place, times `scale`; every replica passes the
  // same shapes in the same order.
  virtual void all_reduce(const std::vector<Tensor>& tensors, float scale) = 0;
  // Sums the values over the replicas in place (float64: counts stay exact).
  virtual void all_reduce(std::vector<double>& values) = 0;
  virtual void barrier() = 0;
  // Ends every replica's process, reporting `message` from this one.
  [[noreturn]] virtual void abort(const std::string& message) = 0;
};

using ReplicasPtr = std::shared_ptr<Replicas>;

}  // namespace nn
