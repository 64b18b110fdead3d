// How many CPUs this process may use: its affinity mask, bounded by a cgroup CPU quota (a
// container limited to 2 CPUs on a 64-core host should run 2 threads, not 64).
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "nn/backend/backend.hpp"

namespace nn {
namespace {

// cgroup v2: "max 100000" (no limit) or "<quota> <period>" in cpu.max of the process's cgroup and
// each of its ancestors; the smallest limit applies.
double cgroup_v2_limit() {
  std::ifstream self("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(self, line))
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  double limit = 0.0;
  for (std::string dir = path;; dir = dir.substr(0, dir.rfind('/'))) {
    std::ifstream f("/sys/fs/cgroup" + dir + "/cpu.max");
    std::string quota;
    double period = 0.0;
    if (f >> quota >> period && quota != "max" && period > 0.0) {
      const double cpus = std::stod(quota) / period;
      if (cpus > 0.0 && (limit == 0.0 || cpus < limit)) limit = cpus;
    }
    if (dir.empty() || dir == "/") break;
  }
  return limit;
}

// cgroup v1: cpu.cfs_quota_us (-1: no limit) / cpu.cfs_period_us.
double cgroup_v1_limit() {
  for (const char* dir : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"}) {
    std::ifstream q(std::string(dir) + "/cpu.cfs_quota_us"), p(std::string(dir) + "/cpu.cfs_period_us");
    double quota = 0.0, period = 0.0;
    if (q >> quota && p >> period && quota > 0.0 && period > 0.0) return quota / period;
  }
  return 0.0;
}

}  // namespace

int available_cpus() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  double limit = 0.0;
  try {
    limit = cgroup_v2_limit();
    if (limit == 0.0) limit = cgroup_v1_limit();
  } catch (const std::exception&) {
    limit = 0.0;  // unreadable cgroup files: no limit known
  }
  if (limit > 0.0) n = std::min(n, static_cast<int>(std::ceil(limit)));
  return std::clamp(n, 1, kMaxThreads);
}

}  // namespace nn
