#pragma once
// Reading the files nn is handed (model files, IDX data, images): only regular files are opened
// (a directory, FIFO or device gets an error naming it, and a FIFO cannot block the open), and
// reads are positioned, so a parser checks a size before it reads or allocates for it.
//
// ByteSource is what parsers read from: a file, or bytes in memory (fuzzers, uploads).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nn::detail {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual const std::string& name() const = 0;  // for messages: the path, or a description
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at offset; throws std::runtime_error("<name>: ...") when it cannot
  // (a read past the end included).
  virtual void read_at(uint64_t offset, void* dst, size_t n) const = 0;
};

class InputFile final : public ByteSource {
 public:
  explicit InputFile(const std::string& path);  // throws std::runtime_error naming the path
  ~InputFile() override;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& name() const override { return path_; }
  uint64_t size() const override { return size_; }
  void read_at(uint64_t offset, void* dst, size_t n) const override;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string_view bytes, std::string name) : bytes_(bytes), name_(std::move(name)) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return bytes_.size(); }
  void read_at(uint64_t offset, void* dst, size_t n) const override;

 private:
  std::string_view bytes_;
  std::string name_;
};

}  // namespace nn::detail
