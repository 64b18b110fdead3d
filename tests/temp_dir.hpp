#pragma once
// A fresh directory under the system temp dir, removed with everything in it.
#include <filesystem>
#include <random>
#include <string>

#include <fmt/format.h>

namespace nn::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "nn_test") {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / fmt::format("{}_{:08x}{:08x}", prefix, rd(), rd());
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace nn::test
