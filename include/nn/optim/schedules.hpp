#pragma once
// Learning-rate schedules: the learning rate as a function of the optimizer's step count, as
// Keras's keras.optimizers.schedules and PyTorch's OneCycleLR define them. An optimizer follows
// one when given it (Optimizer::set_schedule): before each step its learning rate becomes
// schedule(iterations()). Model files keep the schedule with the optimizer.
//
//   auto opt = std::make_shared<nn::Adam>();
//   opt->set_schedule(nn::CosineDecay(1e-3, /*decay_steps=*/10000));
#include <cstdint>
#include <memory>
#include <string>

#include "nn/any_ptr.hpp"
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
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase = false);
  std::string type() const override { return "ExponentialDecay"; }
  Config config() const override;
  double operator()(int64_t step) const override;

 private:
  double initial_, rate_;
  int64_t decay_steps_;
  bool staircase_;
};

// Optional linear warm-up from initial_learning_rate to warmup_target over warmup_steps, then
// cosine decay over decay_steps from there down to alpha times it (Keras's CosineDecay).
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha = 0.0, int64_t warmup_steps = 0,
              double warmup_target = -1.0 /* none */);
  std::string type() const override { return "CosineDecay"; }
  Config config() const override;
  double operator()(int64_t step) const override;

 private:
  double initial_, alpha_, warmup_target_;
  int64_t decay_steps_, warmup_steps_;
};

// The one-cycle policy (Smith & Topin; PyTorch's OneCycleLR with anneal_strategy="cos"): from
// max_learning_rate / div_factor up to max_learning_rate over the first pct_start of total_steps,
// then down to max_learning_rate / (div_factor · final_div_factor), both halves cosine-shaped.
class OneCycle : public LearningRateSchedule {
 public:
  OneCycle(double max_learning_rate, int64_t total_steps, double pct_start = 0.3, double div_factor = 25.0,
           double final_div_factor = 1e4);
  std::string type() const override { return "OneCycle"; }
  Config config() const override;
  double operator()(int64_t step) const override;

 private:
  double max_, pct_start_, div_, final_div_;
  int64_t total_steps_;
};

// A schedule by class name and config (what a model file holds); std::invalid_argument names an
// unknown type, a missing or unknown key, or a value out of range.
SchedulePtr create_schedule(const std::string& type, const Config& config);

// A schedule as set_schedule takes it: an object or shared.
using AnySchedule = AnyPtr<LearningRateSchedule>;

}  // namespace nn
