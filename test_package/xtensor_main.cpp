// nn::xtensor: an xtensor expression into an nn tensor and back.
#include <cstdio>

#include <nn/nn.hpp>
#include <nn/xtensor.hpp>

int main() {
  xt::xarray<double> a = {{1.0, 2.0}, {3.0, 4.0}};
  nn::Tensor t = nn::from_xtensor(a * 2.0);
  auto back = nn::as_xtensor(t);
  const float total = xt::sum(back)();
  std::printf("nn consumer (xtensor): sum %.1f\n", total);
  return total == 20.0f ? 0 : 1;
}
