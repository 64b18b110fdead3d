#pragma once
// Learning-rate schedules: the learning rate as a function of the optimizer's step count, as
// Keras's keras.optimizers.schedules and PyTorch's OneCycleLR define them. An optimizer follows
// one when given it (Optimizer::set_schedule): before each step its learning rate becomes
// schedule(iterations()). Model files keep the schedule with the optimizer.
//
//   auto opt = std::make_shared<nn::Adam>();
//   opt->set_schedule(nn::CosineDecay(1e-3, /*decay_steps=*/10000));
//   opt->set_schedule(nn::OneCycle(nn::OneCycleOptions(3e-3, 1000).pct_start(0.25)));
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "nn/any_ptr.hpp"
#include "nn/arg.hpp"
#include "nn/config.hpp"

namespace nn {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual std::string type() const = 0;  // Keras's class name
  virtual Config config() const = 0;
  // The learning rate for the step with this 0-based index.
  virtual double operator()(int64_t step) const = 0;
};

using SchedulePtr = std::shared_ptr<LearningRateSchedule>;

// initial · rate^(step / decay_steps), the exponent floored when staircase.
class ExponentialDecayOptions {
 public:
  ExponentialDecayOptions(double initial_learning_rate, int64_t decay_steps, double decay_rate)
      : initial_learning_rate_(initial_learning_rate), decay_steps_(decay_steps), decay_rate_(decay_rate) {}
  NN_ARG(double, initial_learning_rate);
  NN_ARG(int64_t, decay_steps);
  NN_ARG(double, decay_rate);
  NN_ARG(bool, staircase) = false;
};

class ExponentialDecay : public LearningRateSchedule {
 public:
  explicit ExponentialDecay(ExponentialDecayOptions options);
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate)
      : ExponentialDecay(ExponentialDecayOptions(initial_learning_rate, decay_steps, decay_rate)) {}
  std::string type() const override { return "ExponentialDecay"; }
  Config config() const override;
  double operator()(int64_t step) const override;
  const ExponentialDecayOptions& options() const { return o_; }

 private:
  ExponentialDecayOptions o_;
};

// Optional linear warm-up from initial_learning_rate to warmup_target over warmup_steps, then
// cosine decay over decay_steps from there down to alpha times it (Keras's CosineDecay).
class CosineDecayOptions {
 public:
  CosineDecayOptions(double initial_learning_rate, int64_t decay_steps)
      : initial_learning_rate_(initial_learning_rate), decay_steps_(decay_steps) {}
  NN_ARG(double, initial_learning_rate);
  NN_ARG(int64_t, decay_steps);
  NN_ARG(double, alpha) = 0.0;
  NN_ARG(int64_t, warmup_steps) = 0;
  NN_ARG(std::optional<double>, warmup_target);  // none: no warm-up
};

class CosineDecay : public LearningRateSchedule {
 public:
  explicit CosineDecay(CosineDecayOptions options);
  CosineDecay(double initial_learning_rate, int64_t decay_steps)
      : CosineDecay(CosineDecayOptions(initial_learning_rate, decay_steps)) {}
  std::string type() const override { return "CosineDecay"; }
  Config config() const override;
  double operator()(int64_t step) const override;
  const CosineDecayOptions& options() const { return o_; }

 private:
  CosineDecayOptions o_;
};

// The one-cycle policy (Smith & Topin; PyTorch's OneCycleLR with anneal_strategy="cos"): from
// max_learning_rate / div_factor up to max_learning_rate over the first pct_start of total_steps,
// then down to max_learning_rate / (div_factor · final_div_factor), both halves cosine-shaped.
class OneCycleOptions {
 public:
  OneCycleOptions(double max_learning_rate, int64_t total_steps)
      : max_learning_rate_(max_learning_rate), total_steps_(total_steps) {}
  NN_ARG(double, max_learning_rate);
  NN_ARG(int64_t, total_steps);
  NN_ARG(double, pct_start) = 0.3;
  NN_ARG(double, div_factor) = 25.0;
  NN_ARG(double, final_div_factor) = 1e4;
};

class OneCycle : public LearningRateSchedule {
 public:
  explicit OneCycle(OneCycleOptions options);
  OneCycle(double max_learning_rate, int64_t total_steps) : OneCycle(OneCycleOptions(max_learning_rate, total_steps)) {}
  std::string type() const override { return "OneCycle"; }
  Config config() const override;
  double operator()(int64_t step) const override;
  const OneCycleOptions& options() const { return o_; }

 private:
  OneCycleOptions o_;
};

// A schedule by class name and config (what a model file holds); std::invalid_argument names an
// unknown type, a missing or unknown key, or a value out of range.
SchedulePtr create_schedule(const std::string& type, const Config& config);
// Adds a schedule create_schedule (and so model files) can name.
using ScheduleFactory = std::function<SchedulePtr(const Config& config)>;
void register_schedule(const std::string& type, ScheduleFactory factory);

// A schedule as set_schedule takes it: an object or shared.
using AnySchedule = AnyPtr<LearningRateSchedule>;

}  // namespace nn
