#pragma once
// Checking a model's graph before anything is built: indices, cycles, unused nodes, layer names
// and every node's shape. Shared by Model (which then builds the layers) and the model-file reader
// (which checks the weights a file holds against the plan before allocating any).
#include <string>
#include <utility>
#include <vector>

#include "nn/model/model.hpp"

namespace nn::detail {

struct GraphPlan {
  std::vector<int> order;                       // node indices, each after the nodes it takes
  std::vector<Shape> shapes;                    // per node (by original index): its output's
  std::vector<std::vector<Shape>> input_shapes;  // per node: its inputs'
  std::vector<LayerPtr> layers;                 // the computing layers, each once, in `order`
  std::vector<std::vector<Shape>> layer_input_shapes;  // per layer: its inputs' shapes
};

// Throws std::invalid_argument naming the layers at fault: an index out of range, an Input that is
// not among `inputs` (or an input that is not an Input), a cycle, a node that leads to no output,
// two layers of one name, a shared layer called on different shapes, shapes a layer refuses.
GraphPlan plan_graph(const std::vector<GraphNode>& nodes, const std::vector<int>& inputs,
                     const std::vector<int>& outputs);

// The weights the plan's layers would create, as ("<layer>/<weight>", shape), in parameter order.
std::vector<std::pair<std::string, Shape>> planned_weights(const GraphPlan& plan);

}  // namespace nn::detail
