#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

#include "nn/io/model_file.hpp"
#include "nn/nn.hpp"

namespace {
// Child process for test_model_file.cpp's kill-during-save test: saves models to the path in
// NN_TEST_SAVE_LOOP until it is killed.
[[noreturn]] void save_loop(const char* path) {
  for (int64_t width = 64;; width = width % 4096 + 64) {
    nn::Sequential m;
    m.add<nn::Dense>(width, "relu");
    m.add<nn::Dense>(10, "softmax");
    m.build({784});
    nn::save_model(m, path);
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (const char* path = std::getenv("NN_TEST_SAVE_LOOP")) save_loop(path);
  return doctest::Context(argc, argv).run();
}
