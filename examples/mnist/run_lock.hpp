#pragma once
// An output directory in use by one run at a time: an advisory lock (flock) on DIR/.lock, held
// until the run ends, which removes the file (a killed run leaves it, but the kernel releases
// the lock, so it is never stale). A second run into the same directory is refused instead of
// interleaving its files.
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
  std::string path_;
  int fd_ = -1;
};

}  // namespace mnist
