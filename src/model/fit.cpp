// Model's loops: fit, evaluate, predict, train_on_batch.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "nn/model/callbacks/progress_bar.hpp"
#include "nn/model/model.hpp"
#include "nn/precision.hpp"
#include "model/device_feed.hpp"
#include "model/running_logs.hpp"

namespace nn {

using detail::DeviceFeed;
using detail::RunningLogs;

namespace {
// fit(x, y) keeps x and y on the model's device up to this size (the whole of MNIST as float32 is
// 0.2 GB).
constexpr size_t kDeviceResidentBytes = size_t{2} << 30;
}  // namespace

void Model::run_batch(const Tensor& x_in, const Tensor& y_in, bool train, RunningLogs& running) {
  ensure_built(x_in);  // compiled and built: training_loss_ is resolved
  if (x_in.ndim() < 1 || y_in.ndim() < 1 || x_in.dim(0) != y_in.dim(0))
    throw std::invalid_argument("Model: batch of inputs " + to_string(x_in.shape()) + " and targets " +
                                to_string(y_in.shape()) + " differ in size");
  const Tensor x = x_in.to(device_), y = y_in.to(device_);  // the batch goes where the model is
  Variable out, loss;
  if (train) {
    out = forward_for_loss(Variable(x), true);
    loss = (*training_loss_)(out, y);
    optimizer_->zero_grad();
    loss.backward();
    if (gradient_hook_) gradient_hook_(optimizer_->parameters());
    optimizer_->step();
  } else {
    NoGradGuard no_grad;
    out = forward_for_loss(Variable(x), false);
    loss = (*training_loss_)(out, y);
  }
  running.add(loss.value(), x.dim(0), out.value(), y);
}

History Model::fit(const data::Dataset& train, FitOptions o) {
  require_compiled("fit");
  require_single("fit");
  if (o.epochs() < 1 || o.initial_epoch() < 0 || o.initial_epoch() > o.epochs())
    throw std::invalid_argument(fmt::format("fit: epochs {} / initial_epoch {} out of range", o.epochs(), o.initial_epoch()));
  if (!backend_for(device_).computes_in(o.precision()))
    throw std::invalid_argument(fmt::format("fit: precision {} needs a device that computes in it (cuda); {} computes "
                                            "in float32 only", to_string(o.precision()), to_string(device_)));
  const Autocast autocast(o.precision());
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

History Model::fit(const Tensor& x, const Tensor& y, FitOptions o) {
  require_single("fit");
  if (x.ndim() < 1 || y.ndim() < 1 || x.dim(0) != y.dim(0))
    throw std::invalid_argument("fit: inputs " + to_string(x.shape()) + " and targets " + to_string(y.shape()) +
                                " differ in their number of samples");
  if (o.validation_split() < 0.0 || o.validation_split() >= 1.0)
    throw std::invalid_argument("fit: validation_split must be in [0, 1)");
  const int64_t n = x.dim(0);
  const auto n_val = static_cast<int64_t>(std::floor(static_cast<double>(n) * o.validation_split()));
  const int64_t n_train = n - n_val;
  // On a device with memory of its own, data that fits stays there for the whole run and is batched
  // there (the same batches, in the same order); otherwise each batch is copied as it comes.
  const bool resident = !device_.is_host() && x.nbytes() + y.nbytes() <= kDeviceResidentBytes;
  const auto host_batches = [&] {
    auto ds = data::Dataset::from_tensor_slices(x.slice(0, n_train), y.slice(0, n_train));
    if (o.shuffle()) ds = ds.shuffle(n_train, o.seed());
    return ds.batch(o.batch_size());
  };
  const data::Dataset train = resident ? data::Dataset::device_batches(x.slice(0, n_train), y.slice(0, n_train), device_,
                                                                       o.batch_size(), o.shuffle(), o.seed())
                                       : host_batches();
  if (n_val > 0) {
    o.validation_data() = resident ? data::Dataset::device_batches(x.slice(n_train, n), y.slice(n_train, n), device_,
                                                                   o.batch_size(), false)
                                   : data::Dataset::from_tensor_slices(x.slice(n_train, n), y.slice(n_train, n))
                                         .batch(o.batch_size());
  }
  return fit(train, o);
}

Logs Model::evaluate(const data::Dataset& dataset, int64_t steps, int verbose,
                          const std::vector<CallbackPtr>& callbacks) {
  require_compiled("evaluate");
  require_single("evaluate");
  for (auto& c : callbacks) c->set_model(this);
  Logs logs;
  for (auto& c : callbacks) c->on_test_begin(logs);
  RunningLogs running(device_, metric_names_);
  int64_t step = 0;
  auto it = dataset.iterator();
  DeviceFeed feed(device_);  // the next batch's copy overlaps this one's forward pass, as in fit
  while (steps < 0 || step < steps) {
    auto batch = feed.next(*it);
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

Logs Model::evaluate(const Tensor& x, const Tensor& y, int64_t batch_size) {
  return evaluate(data::Dataset::from_tensor_slices(x, y).batch(batch_size));
}

Tensor Model::predict(const Tensor& x, int64_t batch_size) {
  require_single("predict(x)");
  return predict(std::vector<Tensor>{x}, batch_size)[0];
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& xs, int64_t batch_size) {
  if (batch_size < 1) throw std::invalid_argument("predict: batch_size must be positive");
  if (xs.empty()) throw std::invalid_argument("predict: no inputs");
  ensure_built(xs[0]);
  if (xs.size() != inputs_.size())
    throw std::invalid_argument(fmt::format("predict: {} inputs given, the model '{}' takes {}", xs.size(), name_,
                                            inputs_.size()));
  for (const Tensor& x : xs)
    if (x.ndim() < 1 || x.dim(0) != xs[0].dim(0))
      throw std::invalid_argument("predict: inputs " + to_string(xs[0].shape()) + " and " + to_string(x.shape()) +
                                  " differ in their number of samples");
  NoGradGuard no_grad;
  const int64_t n = xs[0].dim(0);
  // Computed on the model's device, returned on the first input's (as Keras returns host arrays).
  std::vector<Tensor> outs;
  std::vector<int64_t> rows;
  for (const Shape& o : output_shapes()) {
    Shape s{n};
    s.insert(s.end(), o.begin(), o.end());
    outs.emplace_back(s, device_);
    rows.push_back(numel(o));
  }
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t e = std::min(n, b + batch_size);
    std::vector<Variable> batch;
    for (const Tensor& x : xs) batch.emplace_back(x.slice(b, e).to(device_));
    const std::vector<Variable> ys = call(batch, false);
    for (size_t k = 0; k < ys.size(); ++k)
      backend_for(device_).copy(ys[k].value().data_ptr(), outs[k].data_ptr() + b * rows[k], ys[k].value().numel());
  }
  for (Tensor& t : outs) t = t.to(xs[0].device());
  return outs;
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y) {
  require_compiled("train_on_batch");
  require_single("train_on_batch");
  return one_batch(x, y, true);
}

Logs Model::test_on_batch(const Tensor& x, const Tensor& y) {
  require_compiled("test_on_batch");
  require_single("test_on_batch");
  return one_batch(x, y, false);
}

Logs Model::one_batch(const Tensor& x, const Tensor& y, bool train) {
  RunningLogs running(device_, metric_names_);
  run_batch(x, y, train, running);
  return running.logs();
}

}  // namespace nn
