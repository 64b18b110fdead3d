// Model's part in a data-parallel job (nn/model/replicas.hpp): the logs and the moving statistics
// made the same on every rank.
#include <vector>

#include "nn/model/model.hpp"
#include "model/running_logs.hpp"

namespace nn {

void Model::reduce_over_replicas(detail::RunningLogs& running) const {
  std::vector<double> totals = running.totals();
  replicas_->all_reduce(totals);
  running.set_totals(totals);
}

void Model::average_moving_statistics() const {
  std::vector<Tensor> statistics;
  for (const LayerPtr& l : layers_)
    if (l->type() == "BatchNormalization")
      for (const char* name : {"moving_mean", "moving_variance"})
        if (const Variable w = l->weight(name); w.defined()) statistics.push_back(w.value());
  if (!statistics.empty()) replicas_->all_reduce(statistics, 1.0f / static_cast<float>(replicas_->size()));
}

}  // namespace nn
