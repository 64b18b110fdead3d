#pragma once
// A test case that cannot run here says so and stops. ctest reports it skipped, not passed:
// tests/CMakeLists.txt gives every doctest case SKIP_REGULAR_EXPRESSION "NN-SKIPPED:", and
// scripts/test.sh fails when a test the README promises was skipped. Use it at the top of a test
// case only: a skip inside a subcase would hide the other subcases' results.
#include <cstdio>
#include <string>

#define NN_SKIP(reason)                                           \
  do {                                                            \
    std::printf("NN-SKIPPED: %s\n", std::string(reason).c_str()); \
    std::fflush(stdout);                                          \
    return;                                                       \
  } while (0)
