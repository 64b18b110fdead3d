#include "nn/autograd/variable.hpp"

#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "nn/backend/backend.hpp"

namespace nn {

namespace {
thread_local bool t_grad_enabled = true;
}

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

Variable::Variable(Tensor value, bool requires_grad) : node_(std::make_shared<detail::Node>()) {
  node_->value = std::move(value);
  node_->requires_grad = requires_grad;
}

Variable make_variable(Tensor value, std::vector<Variable> inputs, GradFn grad_fn) {
  Variable v(std::move(value), false);
  if (!grad_enabled()) return v;
  bool needs = false;
  for (const auto& in : inputs) needs = needs || in.requires_grad();
  if (!needs) return v;
  v.node_->requires_grad = true;
  v.node_->inputs = std::move(inputs);
  v.node_->grad_fn = std::move(grad_fn);
  return v;
}

void Variable::move_to(Device device) {
  node_->value = node_->value.to(device);
  if (node_->grad.defined()) node_->grad = node_->grad.to(device);
}

void Variable::add_grad(const Tensor& g) {
  if (!node_->requires_grad) return;
  const std::string what = "gradient of " + (node_->name.empty() ? std::string("variable") : node_->name);
  check_shape(g, node_->value.shape(), what);
  check_same_device(what, g, node_->value);
  Tensor& grad = node_->grad;
  if (!grad.defined()) {
    grad = g;  // adopt; an in-place add later only happens when no one else holds it
    return;
  }
  if (!grad.unique()) grad = grad.clone();
  backend_for(grad.device()).axpy(grad.numel(), 1.0f, g.data_ptr(), grad.data_ptr());
}

void Variable::backward() {
  if (node_->value.numel() != 1)
    throw std::invalid_argument("backward() without a gradient needs a one-element result, got shape " +
                                to_string(shape()));
  backward(Tensor::ones(shape(), device()));
}

void Variable::backward(const Tensor& grad_output) {
  if (!node_->requires_grad)
    throw std::logic_error("backward(): the result does not depend on anything that requires a gradient");
  // Iterative post-order DFS: order holds every node after all of its inputs. It owns the
  // nodes, because releasing a node's inputs below may drop their last other reference.
  std::vector<std::shared_ptr<detail::Node>> order;
  std::unordered_set<detail::Node*> seen;
  std::vector<std::pair<std::shared_ptr<detail::Node>, size_t>> stack{{node_, 0}};
  seen.insert(node_.get());
  // Leaves with a grad_ready hook: how many ops still have to add to their gradient.
  std::unordered_map<detail::Node*, int> pending;
  while (!stack.empty()) {
    auto& [n, next] = stack.back();
    if (next < n->inputs.size()) {
      const auto& child = n->inputs[next++].node_;
      if (child->requires_grad && !child->grad_fn && child->grad_ready) ++pending[child.get()];
      if (child->requires_grad && child->grad_fn && seen.insert(child.get()).second)
        stack.emplace_back(child, 0);
    } else {
      order.push_back(n);
      stack.pop_back();
    }
  }
  add_grad(grad_output);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    detail::Node* n = it->get();
    if (!n->grad_fn) continue;  // a leaf keeps its gradient
    if (n->grad.defined()) n->grad_fn(n->inputs, n->grad);
    if (!pending.empty())
      for (const Variable& in : n->inputs)
        if (auto p = pending.find(in.node_.get()); p != pending.end() && --p->second == 0) in.node_->grad_ready();
    // Release the interior node's gradient and everything its grad_fn saved.
    n->grad = Tensor();
    n->grad_fn = nullptr;
    n->inputs.clear();
  }
}

}  // namespace nn

