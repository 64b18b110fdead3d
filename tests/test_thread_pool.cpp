// The CPU thread pool: exceptions inside parallel regions, threads that cannot start, its
// default size, and replacing it while it is in use.
#include <doctest/doctest.h>

#include <sched.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "backend/cpu/cpu_count.hpp"
#include "backend/cpu/thread_pool.hpp"
#include "child.hpp"
#include "nn/backend/backend.hpp"
#include "skip.hpp"
#include "temp_dir.hpp"

using nn::detail::parallel_for;

namespace {
int64_t parallel_sum(int64_t n) {
  std::atomic<int64_t> total{0};
  parallel_for(n, 1, [&](int64_t b, int64_t e) {
    int64_t s = 0;
    for (int64_t i = b; i < e; ++i) s += i;
    total += s;
  });
  return total;
}
}  // namespace

TEST_CASE("an exception in a parallel region reaches the caller and the pool keeps working") {
  nn::set_num_threads(2);
  for (int round = 0; round < 20; ++round) {
    const int64_t bad = round % 8;  // chunk begins: the caller's chunk or a worker's
    CHECK_THROWS_WITH_AS(parallel_for(8, 1,
                                      [&](int64_t b, int64_t e) {
                                        for (int64_t i = b; i < e; ++i)
                                          if (i == bad) throw std::runtime_error("boom");
                                      }),
                         "boom", std::runtime_error);
    CHECK(parallel_sum(10000) == 10000 * 9999 / 2);
  }
}

TEST_CASE("the pool can be replaced while other threads use it") {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> bad{0}, runs{0};
  std::thread user([&] {
    while (!stop) {
      if (parallel_sum(4096) != 4096 * 4095 / 2) ++bad;
      ++runs;
    }
  });
  // The user's thread is running before the first resize, and keeps running through them: at
  // least 50 resizes, and as many more as it takes for it to finish 20 sums meanwhile.
  while (runs == 0) std::this_thread::yield();
  const int64_t before = runs;
  for (int i = 0; i < 50 || runs < before + 20; ++i) nn::set_num_threads(1 + i % 3);
  stop = true;
  user.join();
  CHECK(bad == 0);
  CHECK(runs >= before + 20);
  nn::set_num_threads(2);
  CHECK(nn::num_threads() == 2);
}

TEST_CASE("thread counts out of range are refused") {
  CHECK_THROWS_AS(nn::set_num_threads(0), std::invalid_argument);
  CHECK_THROWS_AS(nn::set_num_threads(nn::kMaxThreads + 1), std::invalid_argument);
}

TEST_CASE("a pool that cannot start its threads fails with a clear error instead of hanging") {
  if (!nn::test::kCanLimitMemory)
    NN_SKIP("this build uses AddressSanitizer, which cannot run under an address-space limit");
  // 1000 threads need about 8 GB of stacks: under a 1 GiB limit some cannot start.
  const auto r = nn::test::run_child("set_num_threads", "1000", size_t{1} << 30, 30);
  INFO(r.output);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("cannot start 1000 threads") != std::string::npos);
}

TEST_CASE("the default size follows the CPUs this process may use") {
  cpu_set_t saved, one;
  REQUIRE(sched_getaffinity(0, sizeof saved, &saved) == 0);
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &saved)) {
      CPU_SET(c, &one);
      break;
    }
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);  // this thread only
  const int n = nn::available_cpus();
  sched_setaffinity(0, sizeof saved, &saved);
  CHECK(n == 1);
  CHECK(nn::available_cpus() >= 1);
  CHECK(nn::available_cpus() <= static_cast<int>(std::thread::hardware_concurrency()));
}

TEST_CASE("the cgroup CPU quota bounds the default size (v2 and v1 hierarchies, and their ancestors)") {
  using nn::detail::cgroup_cpu_limit;
  nn::test::TempDir root;
  auto write = [&](const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(root / rel).parent_path());
    std::ofstream(root / rel) << text;
  };
  SUBCASE("v2: the smallest limit of the cgroup and its ancestors") {
    write("kubepods/pod/c1/cpu.max", "max 100000\n");
    write("kubepods/pod/cpu.max", "150000 100000\n");
    write("kubepods/cpu.max", "800000 100000\n");
    CHECK(cgroup_cpu_limit("0::/kubepods/pod/c1\n", root.path.string()) == doctest::Approx(1.5));
    CHECK(cgroup_cpu_limit("0::/elsewhere\n", root.path.string()) == 0.0);  // no files: no limit
  }
  SUBCASE("v1: the cpu controller's own cgroup, then its mount's root") {
    write("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000\n");
    write("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    const std::string self = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n";
    CHECK(cgroup_cpu_limit(self, root.path.string()) == doctest::Approx(2.0));
    // A container without a cgroup namespace sees its own cgroup at the mount's root.
    write("cpu/cpu.cfs_quota_us", "50000\n");
    write("cpu/cpu.cfs_period_us", "100000\n");
    CHECK(cgroup_cpu_limit("4:cpu,cpuacct:/docker/other\n", root.path.string()) == doctest::Approx(0.5));
    write("cpu/cpu.cfs_quota_us", "-1\n");  // no limit
    CHECK(cgroup_cpu_limit("4:cpu,cpuacct:/docker/other\n", root.path.string()) == 0.0);
  }
  SUBCASE("garbage is no limit, not an error") {
    write("cpu.max", "lots of cpus\n");
    CHECK(cgroup_cpu_limit("0::/\n", root.path.string()) == 0.0);
    CHECK(cgroup_cpu_limit("not a cgroup file", root.path.string()) == 0.0);
  }
}

TEST_CASE("NN_NUM_THREADS is parsed strictly") {
  setenv("NN_NUM_THREADS", "3", 1);
  auto r = nn::test::run_child("num_threads", "");
  CHECK(r.output.find("num_threads 3") != std::string::npos);
  for (const char* bad : {"0", "-2", "4x", "99999999999999999999"}) {
    setenv("NN_NUM_THREADS", bad, 1);
    r = nn::test::run_child("num_threads", "");
    INFO(bad, ": ", r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("NN_NUM_THREADS") != std::string::npos);
  }
  unsetenv("NN_NUM_THREADS");
}
