// CRC-32C, TFRecord framing and the TensorBoard events (protobuf messages).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nn/io/crc32c.hpp"
#include "nn/io/event_writer.hpp"
#include "skip.hpp"
#include "temp_dir.hpp"

using namespace nn::io;
namespace fs = std::filesystem;

using nn::test::TempDir;

namespace {

// Bit-at-a-time CRC-32C: the definition the table-driven version must match.
uint32_t crc32c_reference(const unsigned char* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

std::string read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::string s(static_cast<size_t>(fs::file_size(path)), '\0');
  f.read(s.data(), static_cast<std::streamsize>(s.size()));
  REQUIRE(f.good());
  return s;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

std::string hex(const std::string& bytes) {
  std::string s;
  for (unsigned char c : bytes) s += fmt::format("{:02x}", c);
  return s;
}

// The message of the std::runtime_error that the call throws.
template <typename F>
std::string error_of(F&& call) {
  try {
    call();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST_CASE("crc32c matches the RFC 3720 test vectors and the bitwise definition") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);
  const std::vector<unsigned char> zeros(32, 0x00), ones(32, 0xff);
  std::vector<unsigned char> up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[static_cast<size_t>(i)] = static_cast<unsigned char>(i);
    down[static_cast<size_t>(i)] = static_cast<unsigned char>(31 - i);
  }
  CHECK(crc32c(zeros.data(), 32) == 0x8A9136AAu);
  CHECK(crc32c(ones.data(), 32) == 0x62A8AB43u);
  CHECK(crc32c(up.data(), 32) == 0x46DD794Eu);
  CHECK(crc32c(down.data(), 32) == 0x113FDB5Cu);
  CHECK(crc32c(nullptr, 0) == 0u);

  // Every length and alignment around the 8-byte steps, and continuation from a split.
  std::mt19937 rng(7);
  std::vector<unsigned char> buf(100);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  for (size_t offset = 0; offset < 8; ++offset)
    for (size_t n = 0; n + offset <= buf.size(); ++n)
      REQUIRE(crc32c(buf.data() + offset, n) == crc32c_reference(buf.data() + offset, n));
  for (size_t split = 0; split <= buf.size(); ++split)
    REQUIRE(crc32c(buf.data() + split, buf.size() - split, crc32c(buf.data(), split)) ==
            crc32c(buf.data(), buf.size()));
}

TEST_CASE("masked_crc32c rotates and offsets the CRC") {
  CHECK(masked_crc32c("", 0) == 0xa282ead8u);
  const uint32_t c = crc32c("123456789", 9);
  CHECK(masked_crc32c("123456789", 9) == ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST_CASE("EventWriter writes TFRecord-framed events that read back") {
  TempDir tmp;
  const fs::path logdir = tmp.path / "run1" / "train";  // created, parents included
  std::string path;
  {
    EventWriter w(logdir.string());
    path = w.path();
    w.add_scalar("loss", 0.5, 3, 1.0);
    w.add_scalar("epoch_accuracy", 0.0, 0, 2.0);  // zeros must still be stored
    w.add_scalar("lr", 1e-3, -7, 3.5);
    w.add_scalar("loss", 0.25, int64_t{1} << 40, 1.7e9);
    w.flush();
    CHECK(read_tfrecords(path).size() == 5);  // flushed: readable while still open
    w.add_scalar("late", 42.0, 9);            // wall_time defaults to now
    // The destructor flushes and closes.
  }

  SUBCASE("file name and place") {
    CHECK(fs::path(path).parent_path() == logdir);
    const std::string name = fs::path(path).filename().string();
    CHECK(name.rfind("events.out.tfevents.", 0) == 0);
    // <seconds>.<hostname>.<pid>.<counter>: at least four dot-separated parts after the prefix
    CHECK(std::count(name.begin(), name.end(), '.') >= 6);
  }
  SUBCASE("the records and their exact bytes") {
    const std::vector<std::string> records = read_tfrecords(path);
    REQUIRE(records.size() == 6);
    CHECK(records[0].find("brain.Event:2") != std::string::npos);
    CHECK(records[0][0] == '\x09');  // wall_time first, as TensorFlow writes it
    // Event{wall_time: 1.0, step: 3, summary{value{tag: "loss", simple_value: 0.5}}} by hand:
    CHECK(hex(records[1]) ==
          "09000000000000f03f"  // field 1, fixed64: 1.0
          "1003"                // field 2, varint: 3
          "2a0d"                // field 5, 13 bytes: Summary
          "0a0b"                // field 1, 11 bytes: Value
          "0a046c6f7373"        // field 1, "loss"
          "150000003f");        // field 2, fixed32: 0.5f
    // The framing around it: length, masked CRC of the length, data, masked CRC of the data.
    const std::string file = read_file(path);
    const size_t at = 16 + records[0].size();
    uint64_t length;
    uint32_t length_crc, data_crc;
    std::memcpy(&length, file.data() + at, 8);  // little-endian hosts only, as TFRecord itself
    std::memcpy(&length_crc, file.data() + at + 8, 4);
    std::memcpy(&data_crc, file.data() + at + 12 + length, 4);
    CHECK(length == records[1].size());
    CHECK(length_crc == masked_crc32c(file.data() + at, 8));
    CHECK(data_crc == masked_crc32c(records[1].data(), records[1].size()));
  }
  SUBCASE("the scalars decode") {
    const std::vector<ScalarEvent> s = read_scalars(path);
    REQUIRE(s.size() == 5);
    CHECK(s[0].tag == "loss");
    CHECK(s[0].value == 0.5);
    CHECK(s[0].step == 3);
    CHECK(s[0].wall_time == 1.0);
    CHECK(s[1].tag == "epoch_accuracy");
    CHECK(s[1].value == 0.0);
    CHECK(s[1].step == 0);
    CHECK(s[2].value == static_cast<double>(1e-3f));  // stored as a float
    CHECK(s[2].step == -7);
    CHECK(s[3].step == int64_t{1} << 40);
    CHECK(s[3].wall_time == 1.7e9);
    CHECK(s[4].tag == "late");
    CHECK(s[4].wall_time > 1.6e9);  // now, in seconds since 1970
  }
  SUBCASE("every single flipped byte is detected") {
    const std::string file = read_file(path);
    const fs::path bad = tmp.path / "flipped";
    for (size_t i = 0; i < file.size(); ++i) {
      std::string f = file;
      f[i] = static_cast<char>(f[i] ^ 0x01);
      write_file(bad, f);
      const std::string msg = error_of([&] { read_tfrecords(bad.string()); });
      INFO("flipped byte ", i, ": ", msg);
      REQUIRE(msg.find(bad.string()) != std::string::npos);
      REQUIRE(msg.find("CRC mismatch") != std::string::npos);
    }
  }
  SUBCASE("a truncated file throws, naming the record") {
    const std::string file = read_file(path);
    const std::vector<std::string> records = read_tfrecords(path);
    const fs::path cut = tmp.path / "cut";
    size_t boundary = 0, complete = 0;
    for (size_t n = 0; n < file.size(); ++n) {
      if (complete < records.size() && n == boundary + 16 + records[complete].size())
        boundary = n, ++complete;
      write_file(cut, file.substr(0, n));
      if (n == boundary) {
        CHECK(read_tfrecords(cut.string()).size() == complete);  // ends between records
      } else {
        const std::string msg = error_of([&] { read_tfrecords(cut.string()); });
        INFO("cut at ", n, ": ", msg);
        REQUIRE(msg.find(cut.string()) != std::string::npos);
        REQUIRE(msg.find(fmt::format("record {}", complete)) != std::string::npos);
        REQUIRE(msg.find("truncated") != std::string::npos);
      }
    }
  }
}

TEST_CASE("read_scalars skips unknown fields of every wire type") {
  TempDir tmp;
  const std::string path = (tmp.path / "handmade").string();
  {
    RecordWriter w(path);
    // Value: unknown varint 7 (node_name would be a string; any number works), group 10, tag, a
    // fixed64 field 11, simple_value 2.0f, a fixed32 field 12.
    const std::string value = std::string("\x38\x96\x01", 3) +          // field 7 varint 150
                              std::string("\x53\x08\x01\x54", 4) +      // group 10 {1: 1}
                              "\x0a\x01x" +                             // tag "x"
                              std::string("\x59\0\0\0\0\0\0\0\0", 9) +  // field 11 fixed64
                              std::string("\x15\0\0\0\x40", 5) +        // simple_value 2.0f
                              std::string("\x65\1\2\3\4", 5);           // field 12 fixed32
    const std::string summary = "\x0a" + std::string(1, static_cast<char>(value.size())) + value;
    // Event: step before wall_time, an unknown string field 4 (graph_def), the summary.
    const std::string event = std::string("\x10\x05", 2) +                  // step 5
                              std::string("\x09\0\0\0\0\0\0\x24\x40", 9) +  // wall_time 10.0
                              std::string("\x22\x03\x61\x62\x63", 5) +      // field 4 "abc"
                              "\x2a" + std::string(1, static_cast<char>(summary.size())) + summary;
    w.write(event);
    w.write(std::string("\x10\x05\x2a\x02\x0a", 5));  // a Value cut short inside the summary
    w.close();
    CHECK_THROWS_AS(w.write("x"), std::runtime_error);
  }
  const std::string msg = error_of([&] { read_scalars(path); });
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("record 1: malformed Event") != std::string::npos);

  // Without the malformed record, the first decodes.
  const std::vector<std::string> records = read_tfrecords(path);
  REQUIRE(records.size() == 2);
  {
    RecordWriter w(path);
    w.write(records[0]);
  }
  const std::vector<ScalarEvent> s = read_scalars(path);
  REQUIRE(s.size() == 1);
  CHECK(s[0].tag == "x");
  CHECK(s[0].value == 2.0);
  CHECK(s[0].step == 5);
  CHECK(s[0].wall_time == 10.0);
}

TEST_CASE("a full disk (/dev/full) is a write error naming the file") {
  if (!fs::exists("/dev/full")) NN_SKIP("this system has no /dev/full");
  RecordWriter w("/dev/full");
  w.write("some data");  // buffered
  CHECK(error_of([&] { w.flush(); }).find("/dev/full: write failed") != std::string::npos);
  CHECK(error_of([&] { w.close(); }).find("/dev/full: write failed") != std::string::npos);
  w.close();  // closed even though it failed: a second close does nothing
}

TEST_CASE("write errors are reported, naming the file") {
  TempDir tmp;
  SUBCASE("a file that cannot be created") {
    const std::string path = (tmp.path / "no" / "such" / "dir" / "f").string();
    CHECK(error_of([&] { RecordWriter w(path); }).find(path) != std::string::npos);
  }
  SUBCASE("a log directory that is a file") {
    const std::string logdir = (tmp.path / "plain").string();
    write_file(logdir, "x");
    CHECK(error_of([&] { EventWriter w(logdir); }).find(logdir) != std::string::npos);
  }
  SUBCASE("missing and empty files") {
    const std::string missing = (tmp.path / "missing").string();
    CHECK(error_of([&] { read_tfrecords(missing); }).find(missing) != std::string::npos);
    write_file(tmp.path / "empty", "");
    CHECK(read_tfrecords((tmp.path / "empty").string()).empty());
  }
}

TEST_CASE("two EventWriters on one directory write two files - a moved writer keeps writing") {
  TempDir tmp;
  EventWriter a(tmp.path.string());
  EventWriter b(tmp.path.string());
  CHECK(a.path() != b.path());
  EventWriter c = std::move(b);
  c.add_scalar("t", 1.0, 1);
  c.close();
  CHECK(read_scalars(c.path()).size() == 1);
  a.close();
  CHECK(read_scalars(a.path()).empty());
}
