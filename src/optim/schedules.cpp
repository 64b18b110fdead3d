#include "nn/optim/schedules.hpp"

#include "nn/registry.hpp"

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

ExponentialDecay::ExponentialDecay(ExponentialDecayOptions options) : o_(options) {
  require(std::isfinite(o_.initial_learning_rate()) && o_.initial_learning_rate() >= 0.0, type(),
          "initial_learning_rate must be finite and >= 0");
  require(o_.decay_steps() >= 1, type(), "decay_steps must be >= 1");
  require(finite_positive(o_.decay_rate()), type(), "decay_rate must be finite and > 0");
}

Config ExponentialDecay::config() const {
  return {{"initial_learning_rate", o_.initial_learning_rate()}, {"decay_steps", o_.decay_steps()},
          {"decay_rate", o_.decay_rate()}, {"staircase", o_.staircase()}};
}

double ExponentialDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(o_.decay_steps());
  if (o_.staircase()) p = std::floor(p);
  return o_.initial_learning_rate() * std::pow(o_.decay_rate(), p);
}

CosineDecay::CosineDecay(CosineDecayOptions options) : o_(options) {
  require(std::isfinite(o_.initial_learning_rate()) && o_.initial_learning_rate() >= 0.0, type(),
          "initial_learning_rate must be finite and >= 0");
  require(o_.decay_steps() >= 1, type(), "decay_steps must be >= 1");
  require(o_.alpha() >= 0.0 && o_.alpha() <= 1.0, type(), "alpha must be in [0, 1]");
  require(o_.warmup_steps() >= 0, type(), "warmup_steps must be >= 0");
  require(!o_.warmup_target() || (std::isfinite(*o_.warmup_target()) && *o_.warmup_target() >= 0.0), type(),
          "warmup_target must be finite and >= 0");
}

Config CosineDecay::config() const {
  Config c{{"initial_learning_rate", o_.initial_learning_rate()}, {"decay_steps", o_.decay_steps()},
           {"alpha", o_.alpha()}, {"warmup_steps", o_.warmup_steps()}};
  if (o_.warmup_target()) c["warmup_target"] = *o_.warmup_target();  // absent: none
  return c;
}

double CosineDecay::operator()(int64_t step) const {
  const double initial = o_.initial_learning_rate();
  const bool warm = o_.warmup_target() && o_.warmup_steps() > 0;
  const double peak = warm ? *o_.warmup_target() : initial;
  if (warm && step < o_.warmup_steps())
    return initial + (peak - initial) * static_cast<double>(step) / static_cast<double>(o_.warmup_steps());
  const double t = std::min(1.0, static_cast<double>(step - (warm ? o_.warmup_steps() : 0)) /
                                     static_cast<double>(o_.decay_steps()));
  return peak * cosine(1.0, o_.alpha(), t);
}

OneCycle::OneCycle(OneCycleOptions options) : o_(options) {
  require(finite_positive(o_.max_learning_rate()), type(), "max_learning_rate must be finite and > 0");
  require(o_.total_steps() >= 2, type(), "total_steps must be >= 2");
  require(o_.pct_start() > 0.0 && o_.pct_start() < 1.0, type(), "pct_start must be in (0, 1)");
  require(finite_positive(o_.div_factor()), type(), "div_factor must be finite and > 0");
  require(finite_positive(o_.final_div_factor()), type(), "final_div_factor must be finite and > 0");
}

Config OneCycle::config() const {
  return {{"max_learning_rate", o_.max_learning_rate()}, {"total_steps", o_.total_steps()},
          {"pct_start", o_.pct_start()}, {"div_factor", o_.div_factor()}, {"final_div_factor", o_.final_div_factor()}};
}

double OneCycle::operator()(int64_t step) const {
  // PyTorch's phase ends: step pct_start * total - 1 reaches the peak, step total - 1 the end.
  const double total = static_cast<double>(o_.total_steps()), max = o_.max_learning_rate();
  const double up_end = o_.pct_start() * total - 1.0;
  const double down_end = total - 1.0;
  const double start = max / o_.div_factor(), end = start / o_.final_div_factor();
  const double s = static_cast<double>(std::max<int64_t>(step, 0));
  if (s <= up_end) return cosine(start, max, up_end > 0 ? s / up_end : 1.0);
  return cosine(max, end, std::min(1.0, (s - up_end) / (down_end - up_end)));
}

namespace {
Registry<ScheduleFactory>& schedules() {
  static Registry<ScheduleFactory>* registry = [] {
    auto* reg = new Registry<ScheduleFactory>("learning-rate schedule", "nn::register_schedule");
    reg->add("ExponentialDecay", [](const Config& config) -> SchedulePtr {
      ConfigReader r(config, "ExponentialDecay");
      auto s = std::make_shared<ExponentialDecay>(
          ExponentialDecayOptions(r.number("initial_learning_rate"), r.integer("decay_steps"), r.number("decay_rate"))
              .staircase(r.boolean("staircase", false)));
      r.done();
      return s;
    });
    reg->add("CosineDecay", [](const Config& config) -> SchedulePtr {
      ConfigReader r(config, "CosineDecay");
      CosineDecayOptions o(r.number("initial_learning_rate"), r.integer("decay_steps"));
      o.alpha(r.number("alpha", 0.0)).warmup_steps(r.integer("warmup_steps", 0));
      // Absent, or -1 in files written before it was optional: none.
      if (const double target = r.number("warmup_target", -1.0); target != -1.0) o.warmup_target(target);
      r.done();
      return std::make_shared<CosineDecay>(o);
    });
    reg->add("OneCycle", [](const Config& config) -> SchedulePtr {
      ConfigReader r(config, "OneCycle");
      auto s = std::make_shared<OneCycle>(OneCycleOptions(r.number("max_learning_rate"), r.integer("total_steps"))
                                              .pct_start(r.number("pct_start", 0.3))
                                              .div_factor(r.number("div_factor", 25.0))
                                              .final_div_factor(r.number("final_div_factor", 1e4)));
      r.done();
      return s;
    });
    return reg;
  }();
  return *registry;
}
}  // namespace

SchedulePtr create_schedule(const std::string& type, const Config& config) { return schedules().get(type)(config); }

void register_schedule(const std::string& type, ScheduleFactory factory) { schedules().add(type, std::move(factory)); }

}  // namespace nn
