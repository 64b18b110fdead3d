#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "nn/io/model_file.hpp"
#include "nn/nn.hpp"

namespace {

// Child modes for tests that run part of their work in a separate process (child.hpp).
// Each prints what happened and exits 0 on success, 1 on an exception (message printed).
int run_child_mode(const std::string& mode, const std::string& arg) {
  if (mode == "save_loop") {  // saves models to `arg` until killed (test_model_file.cpp)
    for (int64_t width = 64;; width = width % 4096 + 64) {
      nn::Sequential m;
      m.add<nn::Dense>(width, "relu");
      m.add<nn::Dense>(10, "softmax");
      m.build({784});
      nn::save_model(m, arg);
    }
  }
  try {
    if (mode == "load_model") {
      nn::Sequential m = nn::load_model(arg);
      std::printf("loaded %zu layers\n", m.layers().size());
    } else if (mode == "load_weights_conv") {  // into an unbuilt model shaped as the hostile tests' base
      nn::Sequential m;
      m.add<nn::Conv2D>(2, 3, "same", "relu");
      m.add<nn::MaxPool2D>(2);
      m.add<nn::Flatten>();
      m.add<nn::Dense>(3, "softmax");
      nn::io::load_weights(m, arg);
      std::printf("loaded %zu weights\n", m.parameters().size());
    } else if (mode == "set_num_threads") {
      nn::set_num_threads(std::stoi(arg));
      std::printf("started %d threads\n", nn::num_threads());
    } else if (mode == "num_threads") {
      std::printf("num_threads %d\n", nn::num_threads());
    } else {
      std::printf("unknown child mode '%s'\n", mode.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* mode = std::getenv("NN_TEST_CHILD")) {
    const char* arg = std::getenv("NN_TEST_ARG");
    if (const char* limit = std::getenv("NN_TEST_RLIMIT_AS"); limit && std::strtoull(limit, nullptr, 10) > 0) {
      const rlim_t bytes = std::strtoull(limit, nullptr, 10);
      const rlimit rl{bytes, bytes};
      setrlimit(RLIMIT_AS, &rl);
    }
    return run_child_mode(mode, arg ? arg : "");
  }
  return doctest::Context(argc, argv).run();
}
