// Small end-to-end training runs on synthetic data (fast: a second or two).
#include <doctest/doctest.h>

#include <stdexcept>

#include "nn/nn.hpp"

using namespace nn;

namespace {
double accuracy_of(const Variable& logits, const Tensor& labels) {
  return static_cast<double>(count_correct(logits.value(), labels)) / static_cast<double>(labels.dim(0));
}
}  // namespace

TEST_CASE("an MLP learns XOR to 100%") {
  manual_seed(1);
  Tensor x = Tensor::from_vector({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  Tensor y = Tensor::from_vector({4}, {0, 1, 1, 0});
  Dense hidden(8, "tanh"), out(2);
  hidden.build({2});
  out.build({8});
  Adam opt(0.05f);
  auto params = hidden.parameters();
  for (auto& p : out.parameters()) params.push_back(p);
  opt.set_parameters(params);
  SparseCategoricalCrossentropy loss(true);
  float last = 0;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    Variable l = loss(out(hidden(Variable(x), true), true), y);
    l.backward();
    opt.step();
    last = l.value().item();
  }
  NoGradGuard ng;
  CHECK(accuracy_of(out(hidden(Variable(x))), y) == 1.0);
  CHECK(last < 0.05f);
}

TEST_CASE("a conv net separates two kinds of images to 100%") {
  // Class 0: a bright vertical bar; class 1: a bright horizontal bar, at random positions.
  manual_seed(2);
  Generator g(5);
  const int64_t n = 64;
  std::vector<float> xs(static_cast<size_t>(n * 8 * 8)), ys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int cls = static_cast<int>(i % 2), pos = static_cast<int>(g.below(8));
    ys[static_cast<size_t>(i)] = static_cast<float>(cls);
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c)
        xs[static_cast<size_t>(i * 64 + r * 8 + c)] = 0.1f * g.uniform() + (((cls == 0 ? c : r) == pos) ? 1.0f : 0.0f);
  }
  Tensor x = Tensor::from_vector({n, 1, 8, 8}, xs), y = Tensor::from_vector({n}, ys);
  Conv2D conv(4, 3, "same", "relu");
  MaxPool2D pool(2);
  Flatten flat;
  Dense out(2);
  auto forward = [&](bool training) { return out(flat(pool(conv(Variable(x), training))), training); };
  forward(false);
  auto params = conv.parameters();
  for (auto& p : out.parameters()) params.push_back(p);
  SGD opt(0.1f, 0.9f);
  opt.set_parameters(params);
  for (int step = 0; step < 60; ++step) {
    opt.zero_grad();
    softmax_cross_entropy(forward(true), y).backward();
    opt.step();
  }
  NoGradGuard ng;
  CHECK(accuracy_of(forward(false), y) == 1.0);
}
