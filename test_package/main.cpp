// Trains a two-layer network on XOR through an installed nn and checks that it learned.
#include <cstdio>

#include <nn/nn.hpp>

int main() {
  nn::manual_seed(3);
  nn::Tensor x = nn::Tensor::from_vector({4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  nn::Tensor y = nn::Tensor::from_vector({4}, {0, 1, 1, 0});
  nn::Dense hidden(8, "tanh"), out(2);
  hidden.build({2});
  out.build({8});
  auto params = hidden.parameters();
  for (auto& p : out.parameters()) params.push_back(p);
  nn::Adam opt(0.05f);
  opt.set_parameters(params);
  nn::SparseCategoricalCrossentropy loss(true);
  float first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    opt.zero_grad();
    nn::Variable l = loss(out(hidden(nn::Variable(x), true), true), y);
    l.backward();
    opt.step();
    (step == 0 ? first : last) = l.value().item();
  }
  std::printf("nn consumer: XOR loss %.4f -> %.4f\n", first, last);
  return last < 0.1f * first ? 0 : 1;
}
