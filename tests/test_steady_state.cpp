// A training loop that repeats its shapes makes no system allocation after its first epoch: every
// tensor, gradient, optimizer slot and kernel workspace comes from the backend's cache or a plan.
#include <doctest/doctest.h>

#include "nn/nn.hpp"

using namespace nn;

namespace {
// Two epochs of 70 images at batch 32 (the last batch partial), then the allocations of two more.
int64_t allocations_after_first_epochs(Sequential& model, int threads) {
  const int before = num_threads();
  set_num_threads(threads);
  Generator gen(3);
  std::vector<float> xs(70 * 12 * 12), ys(70);
  for (auto& v : xs) v = gen.uniform();
  for (size_t i = 0; i < ys.size(); ++i) ys[i] = static_cast<float>(i % 10);
  Tensor x = Tensor::from_vector({70, 1, 12, 12}, xs), y = Tensor::from_vector({70}, ys);
  Backend& be = backend_for(Device::cpu());
  model.fit(x, y, FitOptions().epochs(2).batch_size(32).verbose(0).seed(1));
  const int64_t first = be.memory_stats().system_allocations;
  model.fit(x, y, FitOptions().epochs(2).batch_size(32).verbose(0).seed(2));
  const int64_t later = be.memory_stats().system_allocations - first;
  set_num_threads(before);
  return later;
}
}  // namespace

TEST_CASE("steady-state training makes no system allocation (cnn shape: fused conv and dense, dropout)") {
  manual_seed(4);
  for (int threads : {1, 2, 4}) {
    CAPTURE(threads);
    Sequential m;
    m.add<Conv2D>(Conv2DOptions(16, 3).padding("same").activation("relu").input_shape({1, 12, 12}));
    m.add<MaxPool2D>(2);
    m.add<Conv2D>(Conv2DOptions(16, 3).padding("same").activation("relu"));  // 16 channels in: oneDNN
    m.add<MaxPool2D>(2);
    m.add<Flatten>();
    m.add<Dense>(DenseOptions(32).activation("relu"));
    m.add<Dropout>(0.5);
    m.add<Dense>(DenseOptions(10).activation("softmax"));
    m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
    CHECK(allocations_after_first_epochs(m, threads) == 0);
  }
}

TEST_CASE("steady-state training makes no system allocation (fast shape: batch normalization, one-cycle)") {
  manual_seed(5);
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    Sequential m;
    m.add<Conv2D>(Conv2DOptions(8, 3).padding("same").use_bias(false).input_shape({1, 12, 12}));
    m.add<MaxPool2D>(2);
    m.add<BatchNormalization>();
    m.add<ReLU>();
    m.add<Flatten>();
    m.add<Dense>(10);
    AdamW opt(AdamWOptions(0.01));
    opt.set_schedule(OneCycle(0.01, 12));
    m.compile(opt, SparseCategoricalCrossentropy(CrossentropyOptions().from_logits(true).label_smoothing(0.1f)), {"accuracy"});
    CHECK(allocations_after_first_epochs(m, threads) == 0);
  }
}

TEST_CASE("the allocation count sees a block the cache cannot supply, and not one it can") {
  Backend& be = backend_for(Device::cpu());
  const int64_t before = be.memory_stats().system_allocations;
  { Tensor t({1000003}); }  // a size nothing else uses: from the system, then cached
  CHECK(be.memory_stats().system_allocations == before + 1);
  CHECK(be.memory_stats().cached_bytes >= 1000003 * 4);
  { Tensor t({1000003}); }  // the cached block again
  CHECK(be.memory_stats().system_allocations == before + 1);
}
