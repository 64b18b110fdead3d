#include "model/graph.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "nn/layers/reshape.hpp"

namespace nn::detail {
namespace {

bool is_input(const GraphNode& n) { return dynamic_cast<const InputLayer*>(n.layer.get()) != nullptr; }

std::string join_shapes(const std::vector<Shape>& shapes) {
  std::string s;
  for (const Shape& x : shapes) s += (s.empty() ? "" : ", ") + to_string(x);
  return s;
}

}  // namespace

GraphPlan plan_graph(const std::vector<GraphNode>& nodes, const std::vector<int>& inputs,
                     const std::vector<int>& outputs) {
  const int n = static_cast<int>(nodes.size());
  const auto bad = [](const std::string& what) { throw std::invalid_argument("model graph: " + what); };
  if (inputs.empty()) bad("the model has no inputs");
  if (outputs.empty()) bad("the model has no outputs");
  for (int i = 0; i < n; ++i) {
    const GraphNode& node = nodes[static_cast<size_t>(i)];
    if (!node.layer) bad(fmt::format("node {} has no layer", i));
    for (int j : node.inputs)
      if (j < 0 || j >= n) bad(fmt::format("{} takes node {}, which does not exist", node.layer->describe(), j));
    if (is_input(node) && !node.inputs.empty()) bad(node.layer->describe() + " takes inputs: an Input takes none");
    if (!is_input(node) && node.inputs.empty()) bad(node.layer->describe() + " takes no inputs");
  }
  std::vector<char> is_model_input(static_cast<size_t>(n), 0);
  for (int i : inputs) {
    if (i < 0 || i >= n) bad(fmt::format("input node {} does not exist", i));
    const GraphNode& node = nodes[static_cast<size_t>(i)];
    if (!is_input(node))
      bad(node.layer->describe() + " is given as a model input: a model's inputs are nn::Input tensors");
    if (is_model_input[static_cast<size_t>(i)]) bad(node.layer->describe() + " is given twice as a model input");
    is_model_input[static_cast<size_t>(i)] = 1;
  }
  for (int o : outputs)
    if (o < 0 || o >= n) bad(fmt::format("output node {} does not exist", o));

  // Depth-first from the outputs, without recursion (graphs may be deep); post-order is a
  // topological order. 0 unvisited, 1 on the path, 2 done.
  GraphPlan plan;
  std::vector<char> color(static_cast<size_t>(n), 0);
  for (int o : outputs) {
    if (color[static_cast<size_t>(o)] == 2) continue;
    std::vector<std::pair<int, size_t>> stack{{o, 0}};
    color[static_cast<size_t>(o)] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      const GraphNode& node = nodes[static_cast<size_t>(v)];
      if (next < node.inputs.size()) {
        const int u = node.inputs[next++];
        if (color[static_cast<size_t>(u)] == 1) {
          std::string path = nodes[static_cast<size_t>(u)].layer->name();
          bool on = false;
          for (const auto& [w, k] : stack) {
            if (w == u) on = true;
            else if (on) path += " -> " + nodes[static_cast<size_t>(w)].layer->name();
          }
          bad("the graph has a cycle: " + path + " -> " + nodes[static_cast<size_t>(u)].layer->name());
        }
        if (color[static_cast<size_t>(u)] == 0) {
          color[static_cast<size_t>(u)] = 1;
          stack.emplace_back(u, 0);
        }
      } else {
        color[static_cast<size_t>(v)] = 2;
        plan.order.push_back(v);
        stack.pop_back();
      }
    }
  }
  for (int i : plan.order)
    if (is_input(nodes[static_cast<size_t>(i)]) && !is_model_input[static_cast<size_t>(i)])
      bad("an output needs " + nodes[static_cast<size_t>(i)].layer->describe() +
          ", which is not among the model's inputs");
  for (int i = 0; i < n; ++i) {
    if (color[static_cast<size_t>(i)] == 2) continue;
    const GraphNode& node = nodes[static_cast<size_t>(i)];
    if (is_model_input[static_cast<size_t>(i)]) bad("input " + node.layer->describe() + " is not used by any output");
    bad(node.layer->describe() + " leads to no output");
  }

  // Names: distinct layers, distinct names (a layer used twice is shared).
  std::unordered_map<std::string, const Layer*> by_name;
  for (int i : plan.order) {
    const Layer* layer = nodes[static_cast<size_t>(i)].layer.get();
    auto [it, fresh] = by_name.emplace(layer->name(), layer);
    if (!fresh && it->second != layer)
      bad(fmt::format("two different layers are named '{}' ({} and {})", layer->name(), it->second->type(),
                      layer->type()));
  }

  // Shapes, in order; a layer met again must see the shapes it saw first.
  plan.shapes.assign(static_cast<size_t>(n), Shape{});
  plan.input_shapes.assign(static_cast<size_t>(n), {});
  std::map<const Layer*, std::vector<Shape>> seen;
  for (int i : plan.order) {
    const GraphNode& node = nodes[static_cast<size_t>(i)];
    const Layer& layer = *node.layer;
    if (is_input(node)) {
      plan.shapes[static_cast<size_t>(i)] = layer.declared_input_shape();
      continue;
    }
    std::vector<Shape> shapes;
    for (int j : node.inputs) shapes.push_back(plan.shapes[static_cast<size_t>(j)]);
    if (shapes.size() == 1 && !layer.declared_input_shape().empty() && layer.declared_input_shape() != shapes[0])
      bad(fmt::format("{} declares input shape {} but receives {}", layer.describe(),
                      to_string(layer.declared_input_shape()), to_string(shapes[0])));
    auto [it, first] = seen.emplace(&layer, shapes);
    if (first) {
      plan.layers.push_back(node.layer);
      plan.layer_input_shapes.push_back(shapes);
    } else if (it->second != shapes) {
      bad(fmt::format("{} is shared but called on [{}] and on [{}]", layer.describe(), join_shapes(it->second),
                      join_shapes(shapes)));
    }
    if (layer.built() && layer.input_shapes() != shapes)
      bad(fmt::format("{} was built for [{}] but receives [{}]", layer.describe(), join_shapes(layer.input_shapes()),
                      join_shapes(shapes)));
    plan.shapes[static_cast<size_t>(i)] = layer.output_shape_of(shapes);  // throws naming the layer
    plan.input_shapes[static_cast<size_t>(i)] = std::move(shapes);
  }
  return plan;
}

std::vector<std::pair<std::string, Shape>> planned_weights(const GraphPlan& plan) {
  std::vector<std::pair<std::string, Shape>> out;
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    const Layer& layer = *plan.layers[l];
    if (layer.takes_list()) continue;  // merge layers hold no weights
    for (const WeightSpec& s : layer.weight_specs(plan.layer_input_shapes[l][0]))
      out.emplace_back(layer.name() + "/" + s.name, s.shape);
  }
  return out;
}

}  // namespace nn::detail
