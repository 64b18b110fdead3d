#pragma once
// Optimizer: updates a set of parameters from their gradients. The learning rate may change
// between steps (schedules, ReduceLROnPlateau). state() captures everything a step depends on
// (iteration count and per-parameter slots) so a restored optimizer continues identically.
#include <map>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/autograd/variable.hpp"
#include "nn/config.hpp"
#include "nn/optim/schedules.hpp"

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

  virtual std::string type() const = 0;  // Keras's class name: "SGD", "Adam", ...
  // Hyper-parameters, including "learning_rate".
  virtual Config config() const = 0;

  // The parameters to update; frozen ones (requires_grad false) are skipped at each step.
  void set_parameters(std::vector<Variable> params);
  const std::vector<Variable>& parameters() const { return params_; }

  // One update of every parameter that has a gradient, then iterations() + 1.
  void step();
  void zero_grad();

  float learning_rate() const { return lr_; }
  // Throws std::logic_error while a schedule sets the learning rate.
  void set_learning_rate(float lr);
  // From now on the learning rate before each step is schedule(iterations()); clear_schedule()
  // keeps the current one as a constant again.
  void set_schedule(AnySchedule schedule);
  void clear_schedule() { schedule_.reset(); }
  const SchedulePtr& schedule() const { return schedule_; }
  int64_t iterations() const { return iterations_; }

  // Moves the per-parameter slots to `device` (the parameters themselves move with their model).
  void to(Device device);

  OptimizerState state() const;  // deep copies
  // Throws std::invalid_argument when the slots do not match the parameters' count and shapes.
  void load_state(const OptimizerState& state);
  // The per-parameter state tensors this optimizer keeps ("m", "v"; "momentum").
  virtual std::vector<std::string> slot_names() const = 0;
  // What a slot holds before the first step (Adagrad's accumulator starts above 0).
  virtual float slot_initial_value(const std::string& slot) const {
    (void)slot;
    return 0.0f;
  }

 protected:
  // Update parameter i (value w, gradient g). Slots are created lazily by slot(), filled with
  // `initial` (0 unless the optimizer says otherwise).
  virtual void update(size_t i, Tensor& w, const Tensor& g) = 0;
  Tensor& slot(const std::string& name, size_t i, float initial = 0.0f);
  // lr = schedule(iterations()) when a schedule is set.
  void apply_schedule();

  std::vector<Variable> params_;
  float lr_;
  SchedulePtr schedule_;
  int64_t iterations_ = 0;
  std::map<std::string, std::vector<Tensor>> slots_;
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

// An optimizer by Keras name or class name ("adam", "Adam", "sgd", "adamw", "rmsprop",
// "adagrad"), with Keras's defaults for every key the config leaves out. A key the optimizer does
// not have, or an unknown name, is std::invalid_argument naming what is accepted.
OptimizerPtr create_optimizer(const std::string& name, const Config& config = {});
// Adds an optimizer create_optimizer (and so compile() and model files) can name; the name is
// matched without case. The factory reads its keys through ConfigReader and calls done().
using OptimizerFactory = std::function<OptimizerPtr(const std::string& name, const Config& config)>;
void register_optimizer(const std::string& name, OptimizerFactory factory);

// Any optimizer, as Keras's compile takes it: by name, as an object, or shared.
//   model.compile("adam", ...)   model.compile(nn::Adam(1e-4), ...)   model.compile(opt_ptr, ...)
class AnyOptimizer : public AnyPtr<Optimizer> {
 public:
  using AnyPtr<Optimizer>::AnyPtr;
  AnyOptimizer(const char* name) : AnyPtr(create_optimizer(name)) {}         // NOLINT
  AnyOptimizer(const std::string& name) : AnyPtr(create_optimizer(name)) {}  // NOLINT
};

}  // namespace nn
