#include "nn/io/atomic_file.hpp"

#include "io/atomic_file_hooks.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "util/bytes.hpp"

namespace nn::io {
namespace {

using nn::detail::file_error;

namespace fs = std::filesystem;

std::mutex suffix_source_mutex;
std::function<uint64_t()> suffix_source;  // empty: getrandom (tests replace it)

uint64_t random_u64() {
  {
    std::lock_guard<std::mutex> lock(suffix_source_mutex);
    if (suffix_source) return suffix_source();
  }
  uint64_t v = 0;
  if (::getrandom(&v, sizeof v, 0) == static_cast<ssize_t>(sizeof v)) return v;
  std::random_device rd;  // getrandom unavailable (old kernel): the library's own source
  return (uint64_t{rd()} << 32) ^ rd();
}

std::string temp_prefix(const fs::path& target) { return "." + target.filename().string() + ".tmp-"; }

// A writer holds an exclusive flock on its temporary file from just after creating it until it is
// renamed or removed; the kernel drops the lock when the process dies, in whatever PID namespace
// it ran. So a temporary file that nobody holds locked, and that was not created moments ago (a
// writer between its open and its flock), was left by a save that died.
constexpr auto kStaleAfter = std::chrono::seconds(30);

// Removes this target's temporary files that no live save holds.
void remove_stale_temps(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {  // never one of ours (O_NOFOLLOW | O_EXCL): remove the link, not its target
      ::unlink(it->path().c_str());
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    std::error_code age_ec;
    const auto modified = fs::last_write_time(it->path(), age_ec);
    if (age_ec || now - modified < kStaleAfter) continue;  // possibly a writer about to lock it
    const int fd = ::open(it->path().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) ::unlink(it->path().c_str());  // nobody writes it
    ::close(fd);
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

void detail::set_temp_suffix_source(std::function<uint64_t()> source) {
  std::lock_guard<std::mutex> lock(suffix_source_mutex);
  suffix_source = std::move(source);
}

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
    // Held until the file is renamed or removed: tells other saves this one is alive.
    if (::flock(fd, LOCK_EX) != 0) file_error(path, fmt::format("cannot lock '{}': {}", tmp, std::strerror(errno)));
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
