// How many CPUs this process may use: its affinity mask, bounded by a cgroup CPU quota (a
// container limited to 2 CPUs on a 64-core host should run 2 threads, not 64).
#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cpu_count.hpp"
#include "nn/backend/backend.hpp"

namespace nn {
namespace detail {
namespace {

// The directories from `path` up to the root: "/a/b" -> "/a/b", "/a", "".
std::vector<std::string> ancestors(std::string path) {
  std::vector<std::string> dirs;
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (;;) {
    dirs.push_back(path);
    if (path.empty()) break;
    path = path.substr(0, path.rfind('/'));
  }
  return dirs;
}

// cgroup v2: "max 100000" (no limit) or "<quota> <period>".
double v2_limit(const std::string& dir) {
  std::ifstream f(dir + "/cpu.max");
  std::string quota;
  double period = 0.0;
  if (f >> quota >> period && quota != "max" && period > 0.0) {
    const double cpus = std::strtod(quota.c_str(), nullptr) / period;
    if (cpus > 0.0) return cpus;
  }
  return 0.0;
}

// cgroup v1: cpu.cfs_quota_us (-1: no limit) / cpu.cfs_period_us.
double v1_limit(const std::string& dir) {
  std::ifstream q(dir + "/cpu.cfs_quota_us"), p(dir + "/cpu.cfs_period_us");
  double quota = 0.0, period = 0.0;
  if (q >> quota && p >> period && quota > 0.0 && period > 0.0) return quota / period;
  return 0.0;
}

void take_smaller(double& limit, double cpus) {
  if (cpus > 0.0 && (limit == 0.0 || cpus < limit)) limit = cpus;
}

}  // namespace

double cgroup_cpu_limit(const std::string& proc_self_cgroup, const std::string& root) {
  std::istringstream lines(proc_self_cgroup);
  std::string line;
  double limit = 0.0;
  while (std::getline(lines, line)) {
    // "<id>:<controllers>:<path>"; v2's line is "0::<path>"
    const size_t first = line.find(':'), second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
    if (controllers.empty()) {
      for (const auto& dir : ancestors(path)) take_smaller(limit, v2_limit(root + dir));
      continue;
    }
    std::istringstream names(controllers);
    std::string name;
    bool cpu = false;
    while (std::getline(names, name, ',')) cpu = cpu || name == "cpu";
    if (!cpu) continue;
    // The hierarchy is mounted under its controllers' names ("cpu,cpuacct", and often "cpu" too).
    for (const std::string& mount : {root + "/" + controllers, root + "/cpu"})
      for (const auto& dir : ancestors(path)) take_smaller(limit, v1_limit(mount + dir));
  }
  return limit;
}

}  // namespace detail

int available_cpus() {
  int n = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  double limit = 0.0;
  try {
    std::ifstream self("/proc/self/cgroup");
    std::ostringstream text;
    text << self.rdbuf();
    limit = detail::cgroup_cpu_limit(text.str(), "/sys/fs/cgroup");
  } catch (const std::exception&) {
    limit = 0.0;  // unreadable cgroup files: no limit known
  }
  if (limit > 0.0) n = std::min(n, static_cast<int>(std::ceil(limit)));
  return std::clamp(n, 1, kMaxThreads);
}

}  // namespace nn
