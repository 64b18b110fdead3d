#include "nn/model/callbacks/progress_bar.hpp"

#include <unistd.h>

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace nn {
namespace {
using Clock = std::chrono::steady_clock;

std::string format_value(double v) {
  if (v != 0.0 && std::fabs(v) < 1e-3) return fmt::format("{:.4e}", v);
  return fmt::format("{:.4f}", v);
}

std::string format_duration(double seconds) {
  if (seconds >= 3600) return fmt::format("{}:{:02d}:{:02d}", int(seconds) / 3600, (int(seconds) % 3600) / 60, int(seconds) % 60);
  if (seconds >= 60) return fmt::format("{}:{:02d}", int(seconds) / 60, int(seconds) % 60);
  return fmt::format("{}s", int(std::lround(seconds)));
}

}  // namespace

std::string format_logs(const Logs& logs) {
  std::string s;
  auto add = [&](const std::string& k, double v) {
    if (!s.empty()) s += " - ";
    s += k + ": " + format_value(v);
  };
  if (auto it = logs.find("loss"); it != logs.end()) add("loss", it->second);
  for (const auto& [k, v] : logs)
    if (k != "loss" && k.rfind("val_", 0) != 0 && k != "learning_rate") add(k, v);
  if (auto it = logs.find("val_loss"); it != logs.end()) add("val_loss", it->second);
  for (const auto& [k, v] : logs)
    if (k.rfind("val_", 0) == 0 && k != "val_loss") add(k, v);
  if (auto it = logs.find("learning_rate"); it != logs.end()) add("learning_rate", it->second);
  return s;
}

ProgressBar::ProgressBar(ProgressBarOptions options)
    : verbose_(options.verbose()),
      out_(options.out()),
      interactive_(verbose_ == 1 && isatty(fileno(out_)) == 1) {}

void ProgressBar::on_epoch_begin(int epoch, const Logs&) {
  fmt::print(out_, "Epoch {}/{}\n", epoch + 1, params().epochs);
  std::fflush(out_);
  steps_done_ = 0;
  epoch_start_ = last_draw_ = Clock::now();
}

bool ProgressBar::wants_batch_logs(int64_t batch) const {
  return interactive_ && (Clock::now() - last_draw_ >= std::chrono::milliseconds(100) || batch + 1 == params().steps);
}

void ProgressBar::on_train_batch_end(int64_t batch, const Logs& logs) {
  steps_done_ = batch + 1;
  // Drawn when it asked for these logs (time only moves on, so it still would).
  if (logs.empty() || !wants_batch_logs(batch)) return;
  last_draw_ = Clock::now();
  draw(steps_done_, logs, false);
}

void ProgressBar::on_epoch_end(int, Logs& logs) { draw(steps_done_, logs, true); }

void ProgressBar::draw(int64_t done, const Logs& logs, bool final_line) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - epoch_start_).count();
  const int64_t total = params().steps > 0 ? params().steps : (final_line ? done : -1);
  std::string line;
  if (total > 0) {
    const int width = static_cast<int>(std::to_string(total).size());
    line = fmt::format("{:>{}}/{}", done, width, total);
    if (verbose_ == 1) {
      const int bar = 30, filled = static_cast<int>(bar * std::min<int64_t>(done, total) / total);
      std::string b(static_cast<size_t>(filled), '=');
      if (filled < bar) {
        if (filled > 0) b.back() = '>';
        b += std::string(static_cast<size_t>(bar - filled), '.');
      }
      line += " [" + b + "]";
    }
  } else {
    line = fmt::format("{}/Unknown", done);
  }
  const double per_step = done ? elapsed / static_cast<double>(done) : 0.0;
  if (final_line) {
    const std::string step_time = per_step >= 1e-3 ? fmt::format("{}ms/step", std::lround(per_step * 1e3))
                                                   : fmt::format("{}us/step", std::lround(per_step * 1e6));
    line += fmt::format(" - {} {}", format_duration(elapsed), step_time);
  } else if (total > 0) {
    line += " - ETA: " + format_duration(per_step * static_cast<double>(total - done));
  }
  const std::string metrics = format_logs(logs);
  if (!metrics.empty()) line += " - " + metrics;
  if (interactive_) {
    fmt::print(out_, "\r{}\x1b[K{}", line, final_line ? "\n" : "");
  } else if (final_line) {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

}  // namespace nn
