// Sequential's loops: fit, evaluate, predict, train_on_batch.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "nn/model/callbacks/progress_bar.hpp"
#include "nn/model/sequential.hpp"

namespace nn {
namespace detail {

// The loss and metrics of the batches seen so far. The sums stay on the model's device: adding a
// batch queues work and reads nothing; logs() reads them (a synchronization), which fit does only
// when a callback, the progress bar or the epoch's end needs them.
class RunningLogs {
 public:
  RunningLogs(Device device, const std::vector<std::string>& metric_names)
      : loss_sum_(Tensor::zeros({}, device)) {
    for (const auto& n : metric_names) metrics_.push_back(make_metric(n));
  }
  // loss: the batch's mean loss (a float32 scalar on the device) over n samples.
  void add(const Tensor& loss, int64_t n, const Tensor& y_pred, const Tensor& y_true) {
    backend_for(loss_sum_.device()).axpy(1, static_cast<float>(n), loss.data_ptr(), loss_sum_.data_ptr());
    seen_ += n;
    for (auto& m : metrics_) m->update(y_pred, y_true);
  }
  int64_t seen() const { return seen_; }
  Logs logs() const {
    Logs logs{{"loss", seen_ ? static_cast<double>(loss_sum_.item()) / static_cast<double>(seen_) : 0.0}};
    for (const auto& m : metrics_) logs[m->name()] = m->result();
    return logs;
  }

 private:
  Tensor loss_sum_;
  int64_t seen_ = 0;
  std::vector<MetricPtr> metrics_;
};

// Batches on their way to the model's device. On a device with memory of its own, the copy of the
// next batch is queued on a stream of its own while the current step runs (so on a GPU they
// overlap), from the backend's staging memory (page-locked on a GPU, which a copy needs to run
// asynchronously), and the step's stream waits for that copy's event before it reads the batch.
// On the host, batches are used as they come.
class DeviceFeed {
 public:
  explicit DeviceFeed(Device device) : device_(device) {
    if (!device.is_host()) copy_stream_ = backend_for(device).new_stream();
  }
  // The next batch of `it` on the device, ready for the current stream; nullopt at its end.
  std::optional<data::Example> next(data::Iterator& it) {
    std::optional<Staged> b = ahead_ ? std::exchange(ahead_, std::nullopt) : stage(it.next());
    if (!b) return std::nullopt;
    if (copy_stream_) {
      ahead_ = stage(it.next());
      backend_for(device_).current_stream()->wait_for(b->ready);
      // Its staging memory is freed once the copy has passed (checked as later batches come).
      while (!in_flight_.empty() && in_flight_.front().ready.query()) in_flight_.pop_front();
      in_flight_.push_back({std::move(b->staging), b->ready});
    }
    return std::move(b->batch);
  }
  void restart() { ahead_.reset(); }  // a new pass begins

 private:
  struct Staged {
    data::Example batch;
    Event ready;
    std::vector<std::shared_ptr<void>> staging;
  };
  struct InFlight {
    std::vector<std::shared_ptr<void>> staging;
    Event ready;
  };
  std::optional<Staged> stage(std::optional<data::Example> b) {
    if (!b) return std::nullopt;
    if (!copy_stream_) return Staged{std::move(*b), Event(), {}};
    StreamGuard guard(copy_stream_);
    Staged s;
    s.batch = {upload(b->x, s.staging), upload(b->y, s.staging)};
    s.ready = Event(copy_stream_);
    return s;
  }
  // t on the device; a host tensor goes through staging memory, kept in `staging`.
  Tensor upload(const Tensor& t, std::vector<std::shared_ptr<void>>& staging) {
    if (!t.defined() || !t.device().is_host() || t.numel() == 0) return t.defined() ? t.to(device_) : t;
    Backend& be = backend_for(device_);
    std::shared_ptr<void> buffer = be.host_staging(t.nbytes());
    std::memcpy(buffer.get(), t.raw_data(), t.nbytes());
    Tensor out(t.shape(), t.options().device(device_));
    be.copy_bytes_from_host(buffer.get(), out.untyped_data_ptr(), t.nbytes());
    staging.push_back(std::move(buffer));
    return out;
  }

  Device device_;
  StreamPtr copy_stream_;
  std::optional<Staged> ahead_;
  std::deque<InFlight> in_flight_;
};

}  // namespace detail

using detail::DeviceFeed;
using detail::RunningLogs;

void Sequential::run_batch(const Tensor& x_in, const Tensor& y_in, bool train, RunningLogs& running) {
  ensure_built(x_in);  // compiled and built: training_loss_ is resolved
  if (x_in.ndim() < 1 || y_in.ndim() < 1 || x_in.dim(0) != y_in.dim(0))
    throw std::invalid_argument("Sequential: batch of inputs " + to_string(x_in.shape()) + " and targets " +
                                to_string(y_in.shape()) + " differ in size");
  const Tensor x = x_in.to(device_), y = y_in.to(device_);  // the batch goes where the model is
  Variable out, loss;
  if (train) {
    out = forward_for_loss(Variable(x), true);
    loss = (*training_loss_)(out, y);
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step();
  } else {
    NoGradGuard no_grad;
    out = forward_for_loss(Variable(x), false);
    loss = (*training_loss_)(out, y);
  }
  running.add(loss.value(), x.dim(0), out.value(), y);
}

History Sequential::fit(const data::Dataset& train, FitOptions o) {
  require_compiled("fit");
  if (o.epochs() < 1 || o.initial_epoch() < 0 || o.initial_epoch() > o.epochs())
    throw std::invalid_argument(fmt::format("fit: epochs {} / initial_epoch {} out of range", o.epochs(), o.initial_epoch()));
  stop_training_ = false;
  std::vector<CallbackPtr> callbacks = o.callbacks();
  const bool has_bar = std::any_of(callbacks.begin(), callbacks.end(),
                                   [](const CallbackPtr& c) { return dynamic_cast<ProgressBar*>(c.get()); });
  if (o.verbose() > 0 && !has_bar) callbacks.insert(callbacks.begin(), std::make_shared<ProgressBar>(o.verbose()));

  const int64_t card = train.cardinality();
  FitParams params{o.epochs(), o.steps_per_epoch() > 0 ? o.steps_per_epoch() : (card >= 0 ? card : -1), o.verbose()};
  if (o.steps_per_epoch() <= 0 && card == data::kInfinite)
    throw std::invalid_argument("fit: the dataset repeats forever; give steps_per_epoch");
  for (auto& c : callbacks) {
    c->set_model(this);
    c->set_params(params);
  }
  History history;
  Logs logs;
  for (auto& c : callbacks) c->on_train_begin(logs);
  std::unique_ptr<data::Iterator> it;  // kept across epochs when steps_per_epoch is given
  DeviceFeed feed(device_);
  for (int epoch = o.initial_epoch(); epoch < o.epochs() && !stop_training_; ++epoch) {
    for (auto& c : callbacks) c->on_epoch_begin(epoch, logs);
    RunningLogs running(device_, metric_names_);
    const float lr_used = optimizer_->learning_rate();
    // A fresh pass each epoch; with steps_per_epoch, one pass continues across epochs.
    if (!it || o.steps_per_epoch() <= 0) {
      it = train.iterator();
      feed.restart();
    }
    for (int64_t step = 0; o.steps_per_epoch() <= 0 || step < o.steps_per_epoch(); ++step) {
      std::optional<data::Example> batch = feed.next(*it);
      if (!batch && o.steps_per_epoch() > 0 && step > 0) {  // a finite dataset ran out: start a new pass
        it = train.iterator();
        feed.restart();
        batch = feed.next(*it);
      }
      if (!batch) break;
      for (auto& c : callbacks) c->on_train_batch_begin(step, Logs{});
      run_batch(batch->x, batch->y, true, running);
      const bool wanted = std::any_of(callbacks.begin(), callbacks.end(),
                                      [&](const CallbackPtr& c) { return c->wants_batch_logs(step); });
      const Logs batch_logs = wanted ? running.logs() : Logs{};
      for (auto& c : callbacks) c->on_train_batch_end(step, batch_logs);
      if (stop_training_) break;
    }
    if (running.seen() == 0) throw std::invalid_argument("fit: the training dataset produced no batches");
    logs = running.logs();
    if (o.validation_data()) {
      for (const auto& [k, v] : evaluate(*o.validation_data(), o.validation_steps())) logs["val_" + k] = v;
    }
    logs["learning_rate"] = lr_used;
    for (auto& c : callbacks) c->on_epoch_end(epoch, logs);
    history.append(epoch, logs);
  }
  for (auto& c : callbacks) c->on_train_end(logs);
  return history;
}

History Sequential::fit(const Tensor& x, const Tensor& y, FitOptions o) {
  if (x.ndim() < 1 || y.ndim() < 1 || x.dim(0) != y.dim(0))
    throw std::invalid_argument("fit: inputs " + to_string(x.shape()) + " and targets " + to_string(y.shape()) +
                                " differ in their number of samples");
  if (o.validation_split() < 0.0 || o.validation_split() >= 1.0)
    throw std::invalid_argument("fit: validation_split must be in [0, 1)");
  const int64_t n = x.dim(0);
  const auto n_val = static_cast<int64_t>(std::floor(static_cast<double>(n) * o.validation_split()));
  const int64_t n_train = n - n_val;
  auto train = data::Dataset::from_tensor_slices(x.slice(0, n_train), y.slice(0, n_train));
  if (o.shuffle()) train = train.shuffle(n_train, o.seed());
  train = train.batch(o.batch_size());
  if (n_val > 0) {
    o.validation_data() = data::Dataset::from_tensor_slices(x.slice(n_train, n), y.slice(n_train, n)).batch(o.batch_size());
  }
  return fit(train, o);
}

Logs Sequential::evaluate(const data::Dataset& dataset, int64_t steps, int verbose,
                          const std::vector<CallbackPtr>& callbacks) {
  require_compiled("evaluate");
  for (auto& c : callbacks) c->set_model(this);
  Logs logs;
  for (auto& c : callbacks) c->on_test_begin(logs);
  RunningLogs running(device_, metric_names_);
  int64_t step = 0;
  auto it = dataset.iterator();
  while (steps < 0 || step < steps) {
    auto batch = it->next();
    if (!batch) break;
    run_batch(batch->x, batch->y, false, running);
    ++step;
  }
  if (running.seen() == 0) throw std::invalid_argument("evaluate: the dataset produced no batches");
  logs = running.logs();
  if (verbose) {
    std::string line = fmt::format("{} steps - loss: {:.4f}", step, logs["loss"]);
    for (const auto& name : metric_names_) line += fmt::format(" - {}: {:.4f}", name, logs[make_metric(name)->name()]);
    fmt::print("{}\n", line);
  }
  for (auto& c : callbacks) c->on_test_end(logs);
  return logs;
}

Logs Sequential::evaluate(const Tensor& x, const Tensor& y, int64_t batch_size) {
  return evaluate(data::Dataset::from_tensor_slices(x, y).batch(batch_size));
}

Tensor Sequential::predict(const Tensor& x, int64_t batch_size) {
  if (batch_size < 1) throw std::invalid_argument("predict: batch_size must be positive");
  ensure_built(x);
  NoGradGuard no_grad;
  const int64_t n = x.dim(0);
  Shape out_shape{n};
  const Shape o = output_shape();
  out_shape.insert(out_shape.end(), o.begin(), o.end());
  // Computed on the model's device, returned on x's (as Keras returns host arrays).
  Tensor out(out_shape, device_);
  const int64_t row = numel(o);
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    Tensor y = (*this)(Variable(x.slice(b, e).to(device_)), false).value();
    backend_for(device_).copy(y.data_ptr(), out.data_ptr() + b * row, y.numel());
  }
  return out.to(x.device());
}

Logs Sequential::train_on_batch(const Tensor& x, const Tensor& y) {
  require_compiled("train_on_batch");
  return one_batch(x, y, true);
}

Logs Sequential::test_on_batch(const Tensor& x, const Tensor& y) {
  require_compiled("test_on_batch");
  return one_batch(x, y, false);
}

Logs Sequential::one_batch(const Tensor& x, const Tensor& y, bool train) {
  RunningLogs running(device_, metric_names_);
  run_batch(x, y, train, running);
  return running.logs();
}

}  // namespace nn
