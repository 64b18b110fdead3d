// Writes model files for the mnist tool's tests (mnist_tool_test.sh) into the directory given:
//   no_metrics.nn   a small MNIST model compiled without metrics
//   uncompiled.nn   the same, never compiled
//   nan_bias.nn     the compiled one with a NaN in its bias
#include <cmath>
#include <cstdio>
#include <string>

#include <nn/io/model_file.hpp>
#include <nn/nn.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  nn::Sequential m;
  m.add<nn::Flatten>();
  m.add<nn::Dense>(10, "softmax");
  m.build({1, 28, 28});
  nn::save_model(m, dir + "/uncompiled.nn");
  m.compile(std::make_shared<nn::Adam>(), "sparse_categorical_crossentropy", {});
  nn::save_model(m, dir + "/no_metrics.nn");
  m.parameters().back().value().data()[3] = NAN;
  nn::save_model(m, dir + "/nan_bias.nn");
  return 0;
}
