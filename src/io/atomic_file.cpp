#include "nn/io/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "util/bytes.hpp"

namespace nn::io {
namespace {

using detail::file_error;

namespace fs = std::filesystem;

uint64_t random_u64() {
  uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) == static_cast<ssize_t>(sizeof v)) return v;
  std::random_device rd;  // getrandom unavailable (old kernel): the library's own source
  return (uint64_t{rd()} << 32) ^ rd();
}

std::string temp_prefix(const fs::path& target) { return "." + target.filename().string() + ".tmp-"; }

// Removes "<prefix><pid>-<hex>" files in dir whose pid is not running (a save that was killed).
void remove_stale_temps(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const char* rest = name.c_str() + prefix.size();
    char* after = nullptr;
    errno = 0;
    const long pid = std::strtol(rest, &after, 10);
    if (errno != 0 || after == rest || *after != '-' || pid <= 0) continue;
    if (pid == ::getpid()) continue;  // another thread of this process may be saving
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    struct stat st {};
    // lstat: a symlink under that name is removed as a link; its target is never touched.
    if (::lstat(it->path().c_str(), &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
      ::unlink(it->path().c_str());
  }
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      file_error(path, fmt::format("write failed: {}", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const fs::path target(path);
  if (!target.has_filename()) file_error(path, "not a file name");
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) file_error(path, "directory '" + dir.string() + "' does not exist");
  const std::string prefix = temp_prefix(target);
  remove_stale_temps(dir, prefix);

  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = (dir / fmt::format("{}{}-{:016x}", prefix, ::getpid(), random_u64())).string();
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 16))
      file_error(path, fmt::format("cannot create a temporary file in '{}': {}", dir.string(),
                                   std::strerror(errno)));
  }
  try {
    write_all(fd, bytes, path);
    if (::fsync(fd) != 0) file_error(path, fmt::format("flush failed: {}", std::strerror(errno)));
    const int rc = ::close(fd);
    fd = -1;
    if (rc != 0) file_error(path, fmt::format("close failed: {}", std::strerror(errno)));
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      file_error(path, fmt::format("cannot replace the file: {}", std::strerror(errno)));
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // make the rename itself durable
    ::close(dfd);
  }
}

}  // namespace nn::io
