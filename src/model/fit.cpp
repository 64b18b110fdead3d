// Model's loops: fit, evaluate, predict, train_on_batch.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/backend/backend.hpp"
#include "nn/model/callbacks/progress_bar.hpp"
#include "nn/model/model.hpp"
#include "nn/ops/arithmetic.hpp"
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

RunningLogs Model::running_logs() const { return RunningLogs(device_, metric_names_, output_names()); }

void Model::run_batch(const std::vector<Tensor>& xs_in, const std::vector<Tensor>& ys_in, bool train,
                      RunningLogs& running) {
  if (xs_in.empty()) throw std::invalid_argument("Model: a batch without inputs");
  ensure_built(xs_in[0]);  // compiled and built: training_losses_ is resolved
  if (xs_in.size() != inputs_.size() || ys_in.size() != outputs_.size())
    throw std::invalid_argument(fmt::format("Model '{}': a batch of {} inputs and {} targets, the model has {} inputs "
                                            "and {} outputs", name_, xs_in.size(), ys_in.size(), inputs_.size(),
                                            outputs_.size()));
  const int64_t n = xs_in[0].ndim() < 1 ? -1 : xs_in[0].dim(0);
  for (const auto* group : {&xs_in, &ys_in})
    for (const Tensor& t : *group)
      if (!t.defined() || t.ndim() < 1 || t.dim(0) != n)
        throw std::invalid_argument("Model: batch of inputs " + to_string(xs_in[0].shape()) + " and " +
                                    (t.defined() ? to_string(t.shape()) : std::string("an undefined target")) +
                                    " differ in size");
  std::vector<Variable> xs;  // the batch goes where the model is
  for (const Tensor& x : xs_in) xs.emplace_back(x.to(device_));
  std::vector<Tensor> ys;
  for (const Tensor& y : ys_in) ys.push_back(y.to(device_));
  std::vector<Variable> outs, parts;
  Variable loss;
  const auto forward = [&] {
    outs = run_graph(xs, train, on_logits_);
    for (size_t k = 0; k < outs.size(); ++k) parts.push_back((*training_losses_[k])(outs[k], ys[k]));
    if (parts.size() == 1 && loss_weights_.empty()) {
      loss = parts[0];
      return;
    }
    for (size_t k = 0; k < parts.size(); ++k) {  // Keras's total: the weighted sum of the outputs' losses
      const Variable term = loss_weights_.empty() ? parts[k] : loss_weights_[k] * parts[k];
      loss = k == 0 ? term : loss + term;
    }
  };
  if (train) {
    forward();
    optimizer_->zero_grad();
    loss.backward();
    if (gradient_hook_) gradient_hook_(optimizer_->parameters());
    optimizer_->step();
  } else {
    NoGradGuard no_grad;
    forward();
  }
  std::vector<Tensor> part_values, out_values;
  for (const Variable& p : parts) part_values.push_back(p.value());
  for (const Variable& o : outs) out_values.push_back(o.value());
  running.add(loss.value(), part_values, n, out_values, ys);
}

History Model::fit(const data::Dataset& train, FitOptions o) {
  require_compiled("fit");
  if (o.epochs() < 1 || o.initial_epoch() < 0 || o.initial_epoch() > o.epochs())
    throw std::invalid_argument(fmt::format("fit: epochs {} / initial_epoch {} out of range", o.epochs(), o.initial_epoch()));
  if (!backend_for(device_).computes_in(o.precision()))
    throw std::invalid_argument(fmt::format("fit: precision {} needs a device that computes in it (cuda); {} computes "
                                            "in float32 only", to_string(o.precision()), to_string(device_)));
  const int64_t card = train.cardinality();
  if (o.steps_per_epoch() <= 0 && card == data::kInfinite)
    throw std::invalid_argument("fit: the dataset repeats forever; give steps_per_epoch");
  // In a data-parallel job the callbacks that write run on rank 0 only (nn/model/replicas.hpp).
  const bool chief = !replicas_ || replicas_->rank() == 0;
  std::vector<CallbackPtr> callbacks;
  for (const CallbackPtr& c : o.callbacks())
    if (chief || !c->writes()) callbacks.push_back(c);
  const bool has_bar = std::any_of(callbacks.begin(), callbacks.end(),
                                   [](const CallbackPtr& c) { return dynamic_cast<ProgressBar*>(c.get()); });
  if (chief && o.verbose() > 0 && !has_bar) callbacks.insert(callbacks.begin(), std::make_shared<ProgressBar>(o.verbose()));
  FitParams params{o.epochs(), o.steps_per_epoch() > 0 ? o.steps_per_epoch() : (card >= 0 ? card : -1), o.verbose()};
  for (auto& c : callbacks) {
    c->set_model(this);
    c->set_params(params);
  }
  const Autocast autocast(o.precision());
  stop_training_ = false;
  if (!replicas_ || replicas_->size() == 1) return fit_epochs(train, o, callbacks);
  try {
    return fit_epochs(train, o, callbacks);
  } catch (const std::exception& e) {  // the other ranks would wait for this one forever
    replicas_->abort(fmt::format("fit failed on rank {} of {}: {}", replicas_->rank(), replicas_->size(), e.what()));
    throw;  // not reached: abort ends the process
  }
}

History Model::fit_epochs(const data::Dataset& train, FitOptions& o, std::vector<CallbackPtr>& callbacks) {
  const bool parallel = replicas_ && replicas_->size() > 1;
  // Whether any rank stopped (a callback's stop_training), so that all stop together.
  const auto any_stops = [&] {
    if (!parallel) return stop_training_;
    std::vector<double> flag{stop_training_ ? 1.0 : 0.0};
    replicas_->all_reduce(flag);
    return stop_training_ = flag[0] > 0;
  };
  History history;
  Logs logs;
  for (auto& c : callbacks) c->on_train_begin(logs);
  std::unique_ptr<data::Iterator> it;  // kept across epochs when steps_per_epoch is given
  DeviceFeed feed(device_);
  for (int epoch = o.initial_epoch(); epoch < o.epochs() && !stop_training_; ++epoch) {
    for (auto& c : callbacks) c->on_epoch_begin(epoch, logs);
    RunningLogs running = running_logs();
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
      if (parallel) {  // every rank steps together: the epoch ends where the first rank's data does
        std::vector<double> flags{batch ? 1.0 : 0.0, stop_training_ ? 1.0 : 0.0};
        replicas_->all_reduce(flags);
        if (flags[1] > 0) stop_training_ = true;
        if (flags[0] < replicas_->size() || stop_training_) break;
      }
      if (!batch) break;
      for (auto& c : callbacks) c->on_train_batch_begin(step, Logs{});
      run_batch(batch->inputs(), batch->targets(), true, running);
      const bool wanted = std::any_of(callbacks.begin(), callbacks.end(),
                                      [&](const CallbackPtr& c) { return c->wants_batch_logs(step); });
      const Logs batch_logs = wanted ? running.logs() : Logs{};
      for (auto& c : callbacks) c->on_train_batch_end(step, batch_logs);
      if (stop_training_ && !parallel) break;  // in parallel, all ranks learn of it at the next step
    }
    if (parallel) {
      any_stops();
      reduce_over_replicas(running);
      average_moving_statistics();
    }
    if (running.seen() == 0) throw std::invalid_argument("fit: the training dataset produced no batches");
    logs = running.logs();
    if (o.validation_data()) {
      for (const auto& [k, v] : evaluate(*o.validation_data(), o.validation_steps())) logs["val_" + k] = v;
    }
    logs["learning_rate"] = lr_used;
    for (auto& c : callbacks) c->on_epoch_end(epoch, logs);
    history.append(epoch, logs);
    any_stops();  // also where the other ranks wait for rank 0's checkpoint
  }
  for (auto& c : callbacks) c->on_train_end(logs);
  if (parallel) replicas_->barrier();
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

History Model::fit(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, FitOptions o) {
  if (xs.size() == 1 && ys.size() == 1) return fit(xs[0], ys[0], std::move(o));
  if (ys.empty()) throw std::invalid_argument("fit: no targets");
  if (o.validation_split() < 0.0 || o.validation_split() >= 1.0)
    throw std::invalid_argument("fit: validation_split must be in [0, 1)");
  const data::Dataset all = data::Dataset::from_tensor_slices(xs, ys);  // checks that every tensor has N rows
  const int64_t n = all.cardinality();
  const auto n_train = n - static_cast<int64_t>(std::floor(static_cast<double>(n) * o.validation_split()));
  data::Dataset train = all.take(n_train);  // the held-out rows from the end, before shuffling, as Keras
  if (o.shuffle()) train = train.shuffle(n_train, o.seed());
  if (n_train < n) o.validation_data() = all.skip(n_train).batch(o.batch_size());
  return fit(train.batch(o.batch_size()), o);
}

Logs Model::evaluate(const data::Dataset& dataset, int64_t steps, int verbose,
                          const std::vector<CallbackPtr>& callbacks) {
  require_compiled("evaluate");
  for (auto& c : callbacks) c->set_model(this);
  Logs logs;
  for (auto& c : callbacks) c->on_test_begin(logs);
  RunningLogs running = running_logs();
  int64_t step = 0;
  auto it = dataset.iterator();
  DeviceFeed feed(device_);  // the next batch's copy overlaps this one's forward pass, as in fit
  const auto run = [&] {
    while (steps < 0 || step < steps) {
      auto batch = feed.next(*it);
      if (!batch) break;
      run_batch(batch->inputs(), batch->targets(), false, running);
      ++step;
    }
  };
  if (replicas_ && replicas_->size() > 1) {  // every rank ends with the same logs, or all end
    try {
      run();
    } catch (const std::exception& e) {
      replicas_->abort(fmt::format("evaluate failed on rank {} of {}: {}", replicas_->rank(), replicas_->size(), e.what()));
    }
    reduce_over_replicas(running);
  } else {
    run();
  }
  if (running.seen() == 0) throw std::invalid_argument("evaluate: the dataset produced no batches");
  logs = running.logs();
  if (verbose) {
    std::string line = fmt::format("{} steps - loss: {:.4f}", step, logs["loss"]);
    for (const auto& [key, value] : logs)
      if (key != "loss") line += fmt::format(" - {}: {:.4f}", key, value);
    fmt::print("{}\n", line);
  }
  for (auto& c : callbacks) c->on_test_end(logs);
  return logs;
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, int64_t batch_size) {
  return evaluate(data::Dataset::from_tensor_slices(x, y).batch(batch_size));
}

Logs Model::evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, int64_t batch_size) {
  return evaluate(data::Dataset::from_tensor_slices(xs, ys).batch(batch_size));
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

Logs Model::train_on_batch(const Tensor& x, const Tensor& y) { return train_on_batch(std::vector<Tensor>{x}, {y}); }

Logs Model::train_on_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) {
  require_compiled("train_on_batch");
  return one_batch(xs, ys, true);
}

Logs Model::test_on_batch(const Tensor& x, const Tensor& y) { return test_on_batch(std::vector<Tensor>{x}, {y}); }

Logs Model::test_on_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys) {
  require_compiled("test_on_batch");
  return one_batch(xs, ys, false);
}

Logs Model::one_batch(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, bool train) {
  if (!xs.empty()) ensure_built(xs[0]);
  RunningLogs running = running_logs();
  run_batch(xs, ys, train, running);
  return running.logs();
}

}  // namespace nn
