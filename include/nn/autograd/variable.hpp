#pragma once
// Variable: a tensor in the define-by-run graph.
//
// An op returns a Variable whose node remembers its inputs and a gradient function; backward()
// visits the graph recorded behind a result in reverse topological order. Gradients accumulate
// into leaves across backward calls until zero_grad(). Interior gradients and saved tensors are
// released once used, so a graph is single-use (like PyTorch without retain_graph).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/autograd/grad_mode.hpp"
#include "nn/tensor.hpp"

namespace nn {

class Variable;

// Receives the gradient of the op's output and adds each input's share with add_grad.
using GradFn = std::function<void(std::vector<Variable>& inputs, const Tensor& grad_output)>;

namespace detail {
struct Node {
  Tensor value;
  Tensor grad;
  bool requires_grad = false;
  std::vector<Variable> inputs;  // empty for leaves
  GradFn grad_fn;                // null for leaves
  std::string name;
  std::function<void()> grad_ready;  // a leaf's: called when a backward pass has finished its gradient
};
}  // namespace detail

class Variable {
 public:
  Variable() = default;
  explicit Variable(Tensor value, bool requires_grad = false);

  bool defined() const { return static_cast<bool>(node_); }
  const Tensor& value() const { return node_->value; }
  Tensor& value() { return node_->value; }
  const Shape& shape() const { return node_->value.shape(); }
  Device device() const { return node_->value.device(); }

  // The accumulated gradient; undefined until a backward pass reaches this variable.
  const Tensor& grad() const { return node_->grad; }
  bool has_grad() const { return node_->grad.defined(); }
  void zero_grad() { node_->grad = Tensor(); }
  // Adds g (same shape as value) to the gradient, taking g's storage when there is none yet.
  void add_grad(const Tensor& g);

  bool requires_grad() const { return node_ && node_->requires_grad; }
  // Freezing a parameter: no gradient is computed for it and optimizers skip it.
  void set_requires_grad(bool on) { node_->requires_grad = on; }
  bool is_leaf() const { return !node_->grad_fn; }

  const std::string& name() const { return node_->name; }
  void set_name(std::string name) { node_->name = std::move(name); }

  // A leaf's hook, called during backward() as soon as this variable's gradient is complete (every
  // op that used it has added its share), while the rest of the pass goes on: where data-parallel
  // training starts averaging a gradient over its workers. Not called when a pass does not reach
  // it. An empty function removes it.
  void set_grad_ready_hook(std::function<void()> hook) { node_->grad_ready = std::move(hook); }

  // Back-propagates from this variable: d(this)/d(this) = 1 (it must have one element), or the
  // given gradient of the same shape.
  void backward();
  void backward(const Tensor& grad_output);

  // Moves the value and the gradient to `device`, in place: every holder of this variable (its
  // layer, the optimizer) sees it there. A no-op when it is there already.
  void move_to(Device device);

  // A new leaf that shares this value and records nothing.
  Variable detach() const { return Variable(node_->value, false); }

  bool same_node(const Variable& other) const { return node_ == other.node_; }

 private:
  friend Variable make_variable(Tensor, std::vector<Variable>, GradFn);
  std::shared_ptr<detail::Node> node_;
};

// The result of an op: records inputs and grad_fn when recording is on and an input needs a
// gradient; otherwise a plain constant.
Variable make_variable(Tensor value, std::vector<Variable> inputs, GradFn grad_fn);

}  // namespace nn
