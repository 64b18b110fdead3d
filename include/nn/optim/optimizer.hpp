#pragma once
// Optimizer: updates a set of parameters from their gradients. The learning rate may change
// between steps (schedules, ReduceLROnPlateau). state() captures everything a step depends on
// (iteration count and per-parameter slots) so a restored optimizer continues identically.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/autograd/variable.hpp"
#include "nn/config.hpp"

namespace nn {

struct OptimizerState {
  int64_t iterations = 0;
  float learning_rate = 0.0f;
  // slot name ("momentum", "m", "v") -> one tensor per parameter, in parameter order
  std::map<std::string, std::vector<Tensor>> slots;
};

class Optimizer {
 public:
  explicit Optimizer(float learning_rate);
  virtual ~Optimizer() = default;

  virtual std::string type() const = 0;  // "SGD", "Adam"
  // Hyper-parameters, including "learning_rate".
  virtual Config config() const = 0;

  // The parameters to update; frozen ones (requires_grad false) are skipped at each step.
  void set_parameters(std::vector<Variable> params);
  const std::vector<Variable>& parameters() const { return params_; }

  // One update of every parameter that has a gradient, then iterations() + 1.
  void step();
  void zero_grad();

  float learning_rate() const { return lr_; }
  void set_learning_rate(float lr);
  int64_t iterations() const { return iterations_; }

  OptimizerState state() const;  // deep copies
  // Throws std::invalid_argument when the slots do not match the parameters' count and shapes.
  void load_state(const OptimizerState& state);
  // The per-parameter state tensors this optimizer keeps ("m", "v"; "momentum").
  virtual std::vector<std::string> slot_names() const = 0;

 protected:
  // Update parameter i (value w, gradient g). Slots are created lazily by slot().
  virtual void update(size_t i, Tensor& w, const Tensor& g) = 0;
  Tensor& slot(const std::string& name, size_t i);

  std::vector<Variable> params_;
  float lr_;
  int64_t iterations_ = 0;
  std::map<std::string, std::vector<Tensor>> slots_;
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

// Rebuild from type() and config(): "SGD" or "Adam".
OptimizerPtr create_optimizer(const std::string& type, const Config& config);

}  // namespace nn
