#include "nn/optim/schedules.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nn {
namespace {

constexpr double kPi = 3.14159265358979323846;

void require(bool ok, const std::string& type, const std::string& what) {
  if (!ok) throw std::invalid_argument(type + ": " + what);
}

bool finite_positive(double v) { return std::isfinite(v) && v > 0.0; }

// Cosine from a to b as t goes 0 -> 1.
double cosine(double a, double b, double t) { return b + (a - b) * 0.5 * (1.0 + std::cos(kPi * t)); }

}  // namespace

ExponentialDecay::ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase)
    : initial_(initial_learning_rate), rate_(decay_rate), decay_steps_(decay_steps), staircase_(staircase) {
  require(std::isfinite(initial_) && initial_ >= 0.0, type(), "initial_learning_rate must be finite and >= 0");
  require(decay_steps_ >= 1, type(), "decay_steps must be >= 1");
  require(finite_positive(rate_), type(), "decay_rate must be finite and > 0");
}

Config ExponentialDecay::config() const {
  return {{"initial_learning_rate", initial_}, {"decay_steps", decay_steps_}, {"decay_rate", rate_},
          {"staircase", staircase_}};
}

double ExponentialDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return initial_ * std::pow(rate_, p);
}

CosineDecay::CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha, int64_t warmup_steps,
                         double warmup_target)
    : initial_(initial_learning_rate),
      alpha_(alpha),
      warmup_target_(warmup_target),
      decay_steps_(decay_steps),
      warmup_steps_(warmup_steps) {
  require(std::isfinite(initial_) && initial_ >= 0.0, type(), "initial_learning_rate must be finite and >= 0");
  require(decay_steps_ >= 1, type(), "decay_steps must be >= 1");
  require(alpha_ >= 0.0 && alpha_ <= 1.0, type(), "alpha must be in [0, 1]");
  require(warmup_steps_ >= 0, type(), "warmup_steps must be >= 0");
  require(warmup_target_ == -1.0 || (std::isfinite(warmup_target_) && warmup_target_ >= 0.0), type(),
          "warmup_target must be finite and >= 0");
}

Config CosineDecay::config() const {
  return {{"initial_learning_rate", initial_}, {"decay_steps", decay_steps_}, {"alpha", alpha_},
          {"warmup_steps", warmup_steps_}, {"warmup_target", warmup_target_}};
}

double CosineDecay::operator()(int64_t step) const {
  const bool warm = warmup_target_ >= 0.0 && warmup_steps_ > 0;
  const double peak = warm ? warmup_target_ : initial_;
  if (warm && step < warmup_steps_)
    return initial_ + (warmup_target_ - initial_) * static_cast<double>(step) / static_cast<double>(warmup_steps_);
  const double t = std::min(1.0, static_cast<double>(step - (warm ? warmup_steps_ : 0)) / static_cast<double>(decay_steps_));
  return peak * cosine(1.0, alpha_, t);
}

OneCycle::OneCycle(double max_learning_rate, int64_t total_steps, double pct_start, double div_factor,
                   double final_div_factor)
    : max_(max_learning_rate), pct_start_(pct_start), div_(div_factor), final_div_(final_div_factor), total_steps_(total_steps) {
  require(finite_positive(max_), type(), "max_learning_rate must be finite and > 0");
  require(total_steps_ >= 2, type(), "total_steps must be >= 2");
  require(pct_start_ > 0.0 && pct_start_ < 1.0, type(), "pct_start must be in (0, 1)");
  require(finite_positive(div_), type(), "div_factor must be finite and > 0");
  require(finite_positive(final_div_), type(), "final_div_factor must be finite and > 0");
}

Config OneCycle::config() const {
  return {{"max_learning_rate", max_}, {"total_steps", total_steps_}, {"pct_start", pct_start_},
          {"div_factor", div_}, {"final_div_factor", final_div_}};
}

double OneCycle::operator()(int64_t step) const {
  // PyTorch's phase ends: step pct_start * total - 1 reaches the peak, step total - 1 the end.
  const double up_end = pct_start_ * static_cast<double>(total_steps_) - 1.0;
  const double down_end = static_cast<double>(total_steps_) - 1.0;
  const double start = max_ / div_, end = start / final_div_;
  const double s = static_cast<double>(std::max<int64_t>(step, 0));
  if (s <= up_end) return cosine(start, max_, up_end > 0 ? s / up_end : 1.0);
  return cosine(max_, end, std::min(1.0, (s - up_end) / (down_end - up_end)));
}

SchedulePtr create_schedule(const std::string& type, const Config& config) {
  ConfigReader r(config, type);
  SchedulePtr s;
  if (type == "ExponentialDecay") {
    s = std::make_shared<ExponentialDecay>(r.number("initial_learning_rate"), r.integer("decay_steps"),
                                           r.number("decay_rate"), r.boolean("staircase", false));
  } else if (type == "CosineDecay") {
    s = std::make_shared<CosineDecay>(r.number("initial_learning_rate"), r.integer("decay_steps"), r.number("alpha", 0.0),
                                      r.integer("warmup_steps", 0), r.number("warmup_target", -1.0));
  } else if (type == "OneCycle") {
    s = std::make_shared<OneCycle>(r.number("max_learning_rate"), r.integer("total_steps"), r.number("pct_start", 0.3),
                                   r.number("div_factor", 25.0), r.number("final_div_factor", 1e4));
  } else {
    throw std::invalid_argument("unknown learning-rate schedule '" + type +
                                "' (expected ExponentialDecay, CosineDecay or OneCycle)");
  }
  r.done();
  return s;
}

}  // namespace nn
