#pragma once
// An output directory in use by one run at a time: an advisory lock (flock) on DIR/.lock, held
// until the process exits (or dies: the kernel releases it, so a killed run never leaves a stale
// lock). A second run into the same directory is refused instead of interleaving its files.
#include <string>

namespace mnist {

class RunLock {
 public:
  // Creates dir if needed; throws std::runtime_error naming the directory (and the pid holding
  // the lock, when known) if another process holds it.
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace mnist
