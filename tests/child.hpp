#pragma once
// Running part of a test in a child process: this test binary started again (see main.cpp) with
// NN_TEST_CHILD=<mode> and NN_TEST_ARG=<argument>, optionally under an address-space limit
// (RLIMIT_AS), with its output captured and a deadline. Used where a test must survive what it
// provokes: an allocation the limit refuses, a thread that cannot start, a kill -9.
#include <string>

namespace nn::test {

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal or the deadline
  bool timed_out = false;
  std::string output;  // stdout and stderr
};

// memory_limit: bytes of address space, 0 for none.
ChildResult run_child(const std::string& mode, const std::string& arg, size_t memory_limit = 0,
                      int timeout_seconds = 60);

// Address-space limits do not mix with AddressSanitizer (it reserves terabytes of shadow memory).
constexpr bool kCanLimitMemory =
#if defined(__SANITIZE_ADDRESS__)
    false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    false;
#else
    true;
#endif
#else
    true;
#endif

}  // namespace nn::test
