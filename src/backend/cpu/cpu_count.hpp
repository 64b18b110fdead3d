#pragma once
// The CPU limit a cgroup sets on this process (used by nn::available_cpus).
#include <string>

namespace nn::detail {

// The smallest quota / period of the process's cgroup and its ancestors: cgroup v2's cpu.max, or
// cgroup v1's cpu.cfs_quota_us / cpu.cfs_period_us in the cpu controller's hierarchy (falling back
// to the mount's root, as a container without a cgroup namespace sees it); 0 when nothing limits.
// `proc_self_cgroup` is the text of /proc/self/cgroup, `root` the cgroup mount (/sys/fs/cgroup).
double cgroup_cpu_limit(const std::string& proc_self_cgroup, const std::string& root);

}  // namespace nn::detail
