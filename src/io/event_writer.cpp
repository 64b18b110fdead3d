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

#include "nn/io/crc32c.hpp"
#include "util/bytes.hpp"

namespace nn::io {

namespace {

using detail::get_le;
using detail::put_le;
[[noreturn]] void fail(const std::string& path, const std::string& what) { detail::file_error(path, what); }

// ---------------------------------------------------------------- protobuf wire format

enum Wire {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};

struct ProtoEncoder {
  std::string out;

  void varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    out.push_back(static_cast<char>(v));
  }
  void key(int field, Wire wire) { varint(static_cast<uint64_t>(field) << 3 | wire); }
  void int64_field(int field, int64_t v) {  // int64: negative values take ten bytes, as in protobuf
    key(field, kVarint);
    varint(static_cast<uint64_t>(v));
  }
  void double_field(int field, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    key(field, kFixed64);
    put_le(out, bits, 8);
  }
  void float_field(int field, float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    key(field, kFixed32);
    put_le(out, bits, 4);
  }
  void bytes_field(int field, std::string_view v) {
    key(field, kLengthDelimited);
    varint(v.size());
    out.append(v);
  }
};

// Reads one message; throws std::invalid_argument on malformed input (the caller adds context).
class ProtoDecoder {
 public:
  explicit ProtoDecoder(std::string_view data)
      : p_(reinterpret_cast<const unsigned char*>(data.data())), end_(p_ + data.size()) {}

  bool done() const { return p_ == end_; }

  // Reads a field key: returns false at the end of the message.
  bool next(int& field, int& wire) {
    if (done()) return false;
    const uint64_t k = varint();
    field = static_cast<int>(k >> 3);
    wire = static_cast<int>(k & 7);
    if (field == 0) throw std::invalid_argument("field number 0");
    return true;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      const unsigned char b = *p_++;
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
    throw std::invalid_argument("varint longer than ten bytes");
  }
  uint64_t fixed(int bytes) {
    need(static_cast<size_t>(bytes));
    const uint64_t v = get_le(p_, bytes);
    p_ += bytes;
    return v;
  }
  std::string_view bytes() {
    const uint64_t n = varint();
    need(n);
    std::string_view v(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return v;
  }
  // Skips the value of a field of the given wire type (a group up to its end key).
  void skip(int field, int wire, int depth = 0) {
    switch (wire) {
      case kVarint:
        varint();
        return;
      case kFixed64:
        fixed(8);
        return;
      case kLengthDelimited:
        bytes();
        return;
      case kFixed32:
        fixed(4);
        return;
      case kStartGroup: {
        if (depth > 64) throw std::invalid_argument("groups nested too deeply");
        int f = 0, w = 0;
        while (next(f, w)) {
          if (w == kEndGroup) {
            if (f != field) throw std::invalid_argument("mismatched end of group");
            return;
          }
          skip(f, w, depth + 1);
        }
        throw std::invalid_argument("unterminated group");
      }
      default:
        throw std::invalid_argument(fmt::format("invalid wire type {}", wire));
    }
  }
  // Checks a known field's wire type.
  static void expect(int field, int wire, Wire expected) {
    if (wire != expected)
      throw std::invalid_argument(
          fmt::format("field {} has wire type {}, expected {}", field, wire, int{expected}));
  }

 private:
  void need(uint64_t n) const {
    if (n > static_cast<uint64_t>(end_ - p_)) throw std::invalid_argument("truncated field");
  }
  const unsigned char* p_;
  const unsigned char* end_;
};

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
  ProtoEncoder event;
  event.double_field(1, wall_time_now());
  event.bytes_field(3, "brain.Event:2");
  write_event(event.out);
  flush();  // the file is complete and visible to TensorBoard from the start
}

void EventWriter::add_scalar(const std::string& tag, double value, int64_t step, double wall_time) {
  ProtoEncoder v;
  v.bytes_field(1, tag);
  v.float_field(2, static_cast<float>(value));  // simple_value is in a oneof: written even if 0
  ProtoEncoder summary;
  summary.bytes_field(1, v.out);
  ProtoEncoder event;
  event.double_field(1, wall_time);
  if (step != 0) event.int64_field(2, step);  // proto3 leaves out defaults
  event.bytes_field(5, summary.out);
  write_event(event.out);
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

namespace {

// Appends the simple_value entries of one serialized Summary.
void decode_summary(std::string_view data, double wall_time, int64_t step,
                    std::vector<ScalarEvent>& out) {
  ProtoDecoder summary(data);
  int field = 0, wire = 0;
  while (summary.next(field, wire)) {
    if (field != 1) {
      summary.skip(field, wire);
      continue;
    }
    ProtoDecoder::expect(field, wire, kLengthDelimited);
    ProtoDecoder value(summary.bytes());
    ScalarEvent e{"", 0.0, step, wall_time};
    bool has_value = false;
    while (value.next(field, wire)) {
      if (field == 1) {
        ProtoDecoder::expect(field, wire, kLengthDelimited);
        e.tag = std::string(value.bytes());
      } else if (field == 2) {
        ProtoDecoder::expect(field, wire, kFixed32);
        const auto bits = static_cast<uint32_t>(value.fixed(4));
        float v;
        std::memcpy(&v, &bits, 4);
        e.value = v;
        has_value = true;
      } else {
        value.skip(field, wire);
      }
    }
    if (has_value) out.push_back(std::move(e));
  }
}

}  // namespace

std::vector<ScalarEvent> read_scalars(const std::string& path) {
  const std::vector<std::string> records = read_tfrecords(path);
  std::vector<ScalarEvent> scalars;
  for (size_t i = 0; i < records.size(); ++i) {
    try {
      // Fields may come in any order: collect wall_time and step before decoding the summary.
      ProtoDecoder event(records[i]);
      double wall_time = 0;
      int64_t step = 0;
      std::vector<std::string_view> summaries;
      int field = 0, wire = 0;
      while (event.next(field, wire)) {
        if (field == 1) {
          ProtoDecoder::expect(field, wire, kFixed64);
          const uint64_t bits = event.fixed(8);
          std::memcpy(&wall_time, &bits, 8);
        } else if (field == 2) {
          ProtoDecoder::expect(field, wire, kVarint);
          step = static_cast<int64_t>(event.varint());
        } else if (field == 5) {
          ProtoDecoder::expect(field, wire, kLengthDelimited);
          summaries.push_back(event.bytes());
        } else {
          event.skip(field, wire);
        }
      }
      for (std::string_view s : summaries) decode_summary(s, wall_time, step, scalars);
    } catch (const std::invalid_argument& e) {
      fail(path, fmt::format("record {}: malformed Event: {}", i, e.what()));
    }
  }
  return scalars;
}

}  // namespace nn::io
