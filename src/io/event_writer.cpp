#include "nn/io/event_writer.hpp"

#include <unistd.h>  // gethostname, getpid

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "event.pb.h"
#include "nn/io/crc32c.hpp"
#include "util/bytes.hpp"

namespace nn::io {

namespace {

using detail::get_le;
using detail::put_le;
[[noreturn]] void fail(const std::string& path, const std::string& what) { detail::file_error(path, what); }

std::string event_file_name() {
  static std::atomic<int> counter{0};
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "localhost");
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  return fmt::format("events.out.tfevents.{:010d}.{}.{}.{}", static_cast<long long>(seconds), host,
                     static_cast<long long>(getpid()), counter++);
}

}  // namespace

double wall_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------- RecordWriter

RecordWriter::RecordWriter(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) fail(path_, fmt::format("cannot open for writing: {}", std::strerror(errno)));
}

RecordWriter::~RecordWriter() { close_noexcept(); }

void RecordWriter::close_noexcept() noexcept {
  try {
    close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nn::io::RecordWriter: %s\n", e.what());
  }
}

RecordWriter::RecordWriter(RecordWriter&& other) noexcept
    : path_(std::move(other.path_)), file_(std::exchange(other.file_, nullptr)) {}

RecordWriter& RecordWriter::operator=(RecordWriter&& other) noexcept {
  if (this != &other) {
    close_noexcept();
    path_ = std::move(other.path_);
    file_ = std::exchange(other.file_, nullptr);
  }
  return *this;
}

void RecordWriter::write(std::string_view data) {
  if (!file_) fail(path_, "write after close");
  std::string header;
  put_le(header, data.size(), 8);
  put_le(header, masked_crc32c(header.data(), 8), 4);
  std::string footer;
  put_le(footer, masked_crc32c(data.data(), data.size()), 4);
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size() ||
      std::fwrite(data.data(), 1, data.size(), file_) != data.size() ||
      std::fwrite(footer.data(), 1, footer.size(), file_) != footer.size())
    fail(path_, fmt::format("write failed: {}", std::strerror(errno)));
}

void RecordWriter::flush() {
  if (!file_) return;
  if (std::fflush(file_) != 0 || std::ferror(file_))
    fail(path_, fmt::format("write failed: {}", std::strerror(errno)));
}

void RecordWriter::close() {
  if (!file_) return;
  std::FILE* f = std::exchange(file_, nullptr);
  const bool ok = std::fflush(f) == 0 && !std::ferror(f);
  const int flush_errno = errno;
  if (std::fclose(f) != 0 && ok) fail(path_, fmt::format("close failed: {}", std::strerror(errno)));
  if (!ok) fail(path_, fmt::format("write failed: {}", std::strerror(flush_errno)));
}

// ---------------------------------------------------------------- EventWriter

namespace {

std::string create_event_file_path(const std::string& logdir) {
  std::error_code ec;
  std::filesystem::create_directories(logdir, ec);
  if (ec) fail(logdir, fmt::format("cannot create the log directory: {}", ec.message()));
  return (std::filesystem::path(logdir) / event_file_name()).string();
}

}  // namespace

EventWriter::EventWriter(const std::string& logdir) : writer_(create_event_file_path(logdir)) {
  tensorboard::Event event;
  event.set_wall_time(wall_time_now());
  event.set_file_version("brain.Event:2");
  write_event(event.SerializeAsString());
  flush();  // the file is complete and visible to TensorBoard from the start
}

void EventWriter::add_scalar(const std::string& tag, double value, int64_t step, double wall_time) {
  tensorboard::Event event;
  event.set_wall_time(wall_time);
  event.set_step(step);
  tensorboard::Summary::Value* v = event.mutable_summary()->add_value();
  v->set_tag(tag);
  v->set_simple_value(static_cast<float>(value));  // in a oneof: written even when 0
  write_event(event.SerializeAsString());
}

void EventWriter::write_event(std::string_view event) { writer_.write(event); }
void EventWriter::flush() { writer_.flush(); }
void EventWriter::close() { writer_.close(); }

// ---------------------------------------------------------------- readers

std::vector<std::string> read_tfrecords(const std::string& path) {
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, fmt::format("cannot read: {}", ec.message()));
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, fmt::format("cannot open: {}", std::strerror(errno)));
  std::string bytes(static_cast<size_t>(file_size), '\0');
  f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) fail(path, "read error");

  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  std::vector<std::string> records;
  size_t pos = 0;
  while (pos < size) {
    const size_t index = records.size();
    const size_t left = size - pos;
    if (left < 12)
      fail(path, fmt::format("record {} at byte {}: truncated header ({} of 12 bytes)", index, pos,
                             left));
    const uint64_t length = get_le(p + pos, 8);
    if (get_le(p + pos + 8, 4) != masked_crc32c(p + pos, 8))
      fail(path, fmt::format("record {} at byte {}: length CRC mismatch", index, pos));
    if (length > left - 12 || left - 12 - length < 4)
      fail(path, fmt::format("record {} at byte {}: truncated: expected {} bytes of data and a "
                             "4-byte CRC, found {} bytes",
                             index, pos, length, left - 12));
    const unsigned char* data = p + pos + 12;
    const auto n = static_cast<size_t>(length);
    if (get_le(data + n, 4) != masked_crc32c(data, n))
      fail(path, fmt::format("record {} at byte {}: data CRC mismatch", index, pos));
    records.emplace_back(reinterpret_cast<const char*>(data), n);
    pos += 16 + n;
  }
  return records;
}

std::vector<ScalarEvent> read_scalars(const std::string& path) {
  const std::vector<std::string> records = read_tfrecords(path);
  std::vector<ScalarEvent> scalars;
  for (size_t i = 0; i < records.size(); ++i) {
    // Unknown fields (and known ones of another wire type) are skipped, as protobuf does.
    tensorboard::Event event;
    if (!event.ParseFromString(records[i]))
      fail(path, fmt::format("record {}: malformed Event (not a valid tensorboard Event message)", i));
    if (!event.has_summary()) continue;
    for (const tensorboard::Summary::Value& v : event.summary().value())
      if (v.value_case() == tensorboard::Summary::Value::kSimpleValue)
        scalars.push_back({v.tag(), v.simple_value(), event.step(), event.wall_time()});
  }
  return scalars;
}

}  // namespace nn::io
