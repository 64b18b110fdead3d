#pragma once
// Callback: hooks into fit / evaluate with Keras's names and call order:
//   on_train_begin, (on_epoch_begin, (on_train_batch_begin, on_train_batch_end)*,
//   [on_test_begin, on_test_end], on_epoch_end)*, on_train_end
// Epochs and batches are 0-based, as in Keras. A callback may stop training by setting
// model().stop_training(true), and may change the optimizer's learning rate.
#include <memory>
#include <vector>

#include "nn/model/logs.hpp"

namespace nn {

class Model;

// What fit() is doing, given to callbacks before training.
struct FitParams {
  int epochs = 1;
  int64_t steps = -1;  // steps per epoch; -1 when not known in advance
  int verbose = 1;
};

class Callback {
 public:
  virtual ~Callback() = default;
  void set_model(Model* model) { model_ = model; }
  void set_params(const FitParams& params) { params_ = params; }

  virtual void on_train_begin(const Logs& logs) { (void)logs; }
  virtual void on_train_end(const Logs& logs) { (void)logs; }
  virtual void on_epoch_begin(int epoch, const Logs& logs) { (void)epoch, (void)logs; }
  // logs may be extended (e.g. with "learning_rate") for the callbacks that follow.
  virtual void on_epoch_end(int epoch, Logs& logs) { (void)epoch, (void)logs; }
  // logs is empty at a batch's beginning (as in Keras).
  virtual void on_train_batch_begin(int64_t batch, const Logs& logs) { (void)batch, (void)logs; }
  virtual void on_train_batch_end(int64_t batch, const Logs& logs) { (void)batch, (void)logs; }
  // Whether on_train_batch_end(batch) reads its logs. The running loss and metrics stay on the
  // model's device and are read (a synchronization) only for the batches where some callback
  // wants them; the others receive empty logs. Yes unless a callback says otherwise.
  virtual bool wants_batch_logs(int64_t batch) const {
    (void)batch;
    return true;
  }
  // Whether the callback writes (a progress bar, files): in a data-parallel job (Replicas) such
  // callbacks run on rank 0 only; the others, which decide (early stopping, the learning rate),
  // run on every rank with the same reduced logs.
  virtual bool writes() const { return false; }
  virtual void on_test_begin(const Logs& logs) { (void)logs; }
  virtual void on_test_end(const Logs& logs) { (void)logs; }

 protected:
  Model& model() const;  // throws if the callback is not attached to a model
  const FitParams& params() const { return params_; }

 private:
  Model* model_ = nullptr;
  FitParams params_;
};

using CallbackPtr = std::shared_ptr<Callback>;

}  // namespace nn
