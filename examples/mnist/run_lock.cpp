#include "run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace mnist {

RunLock::RunLock(const std::string& dir) {
  std::filesystem::create_directories(dir);
  path_ = (std::filesystem::path(dir) / ".lock").string();
  const std::string& path = path_;
  int err = 0;
  for (;;) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw std::runtime_error(fmt::format("{}: cannot create the lock file: {}", path, std::strerror(errno)));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {  // held by another run: said below
      err = errno;
      break;
    }
    // Locked; but the run that held it may have removed the file in between (its exit), and a
    // lock on a removed file locks nothing: held only if the name still leads to this file.
    struct stat mine {}, named {};
    if (::fstat(fd_, &mine) == 0 && ::stat(path.c_str(), &named) == 0 && mine.st_ino == named.st_ino &&
        mine.st_dev == named.st_dev)
      break;
    ::close(fd_);
  }
  if (err != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error(
          fmt::format("{}: in use by another run{}; wait for it or choose another --out", dir,
                      n > 0 ? fmt::format(" (pid {})", std::string(buf, static_cast<size_t>(n))) : ""));
    throw std::runtime_error(fmt::format("{}: cannot lock: {}", path, std::strerror(err)));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // the pid is only for the message another run prints; nothing depends on it
  }
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // removed while still held, so no other run can hold it meanwhile
  ::close(fd_);             // releases the lock
}

}  // namespace mnist
