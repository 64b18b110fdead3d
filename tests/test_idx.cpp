// IDX reading (raw and gzip, every element type, every malformed-file case) and load_mnist.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>


#include "temp_dir.hpp"
#include "nn/data/idx.hpp"
#include "nn/data/mnist.hpp"

using namespace nn;
using namespace nn::data;
namespace fs = std::filesystem;

using nn::test::TempDir;

namespace {

void put_be(std::string& out, uint64_t bits, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

// Header: 00 00 type ndims, then big-endian int32 extents.
std::string idx_header(uint8_t type, const std::vector<int32_t>& dims) {
  std::string s{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (int32_t d : dims) put_be(s, static_cast<uint32_t>(d), 4);
  return s;
}

std::string ubyte_idx(const std::vector<int32_t>& dims, const std::vector<uint8_t>& values) {
  std::string s = idx_header(0x08, dims);
  s.append(values.begin(), values.end());
  return s;
}

void write_raw(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
          static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  std::string s(static_cast<size_t>(f.tellg()), '\0');
  f.seekg(0);
  f.read(s.data(), static_cast<std::streamsize>(s.size()));
  REQUIRE(f.good());
  return s;
}

// The call must throw std::runtime_error whose message names `path` and contains `fragment`.
template <typename F>
void check_error(F&& call, const std::string& path, const std::string& fragment) {
  try {
    call();
    FAIL("no exception for ", path);
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    INFO("message: ", msg);
    CHECK(msg.find(path) != std::string::npos);
    CHECK(msg.find(fragment) != std::string::npos);
  }
}

void check_idx_error(const std::string& path, const std::string& fragment) {
  check_error([&] { read_idx(path); }, path, fragment);
}

}  // namespace

TEST_CASE("read_idx reads every element type, raw and gzip, with the stored shape") {
  TempDir dir;

  SUBCASE("ubyte, 3-d, raw") {
    std::vector<uint8_t> v(2 * 3 * 4);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(i * 11);  // up to 253
    write_raw(dir / "u8", ubyte_idx({2, 3, 4}, v));
    IdxArray a = read_idx_array(dir / "u8");
    CHECK(a.type == IdxType::ubyte);
    CHECK(a.values.shape() == Shape{2, 3, 4});
    CHECK(a.values.dtype() == kUInt8);  // bytes stay bytes
    CHECK(a.values.to_vector<uint8_t>() == v);
    CHECK(a.values.at({1, 2, 3}) == 253.0f);
  }
  SUBCASE("sbyte, 1-d, gzip") {
    std::string s = idx_header(0x09, {4});
    s += std::string{'\x80', '\xff', '\0', '\x7f'};
    write_gzip(dir / "s8.gz", s);
    IdxArray a = read_idx_array(dir / "s8.gz");
    CHECK(a.type == IdxType::sbyte);
    CHECK(a.values.shape() == Shape{4});
    CHECK(a.values.to_vector<int32_t>() == std::vector<int32_t>{-128, -1, 0, 127});
  }
  SUBCASE("int16, 2-d, raw") {
    std::string s = idx_header(0x0B, {2, 2});
    for (int v : {-32768, -2, 258, 32767}) put_be(s, static_cast<uint16_t>(v), 2);
    write_raw(dir / "i16", s);
    IdxArray a = read_idx_array(dir / "i16");
    CHECK(a.type == IdxType::int16);
    CHECK(a.values.shape() == Shape{2, 2});
    CHECK(a.values.to_vector<int32_t>() == std::vector<int32_t>{-32768, -2, 258, 32767});
  }
  SUBCASE("int32, 1-d, gzip") {
    std::string s = idx_header(0x0C, {3});
    for (int32_t v : {-16777216, 70000, 16777216}) put_be(s, static_cast<uint32_t>(v), 4);
    write_gzip(dir / "i32", s);  // compressed without a .gz name: detected by content
    IdxArray a = read_idx_array(dir / "i32");
    CHECK(a.type == IdxType::int32);
    CHECK(a.values.to_vector<int32_t>() == std::vector<int32_t>{-16777216, 70000, 16777216});  // exact
  }
  SUBCASE("float32, 4-d, raw under a .gz name") {
    const std::vector<float> v{1.5f, -0.25f, 3.0e38f, -1.0e-38f, 0.0f, 7.0f};
    std::string s = idx_header(0x0D, {1, 2, 1, 3});
    for (float f : v) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      put_be(s, bits, 4);
    }
    write_raw(dir / "f32.gz", s);
    IdxArray a = read_idx_array(dir / "f32.gz");
    CHECK(a.type == IdxType::float32);
    CHECK(a.values.shape() == Shape{1, 2, 1, 3});
    CHECK(a.values.to_vector() == v);
  }
  SUBCASE("float64, 2-d, gzip") {
    const std::vector<double> v{0.1, -2.5, 1e10, 4.0};
    std::string s = idx_header(0x0E, {2, 2});
    for (double d : v) {
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      put_be(s, bits, 8);
    }
    write_gzip(dir / "f64.gz", s);
    IdxArray a = read_idx_array(dir / "f64.gz");
    CHECK(a.type == IdxType::float64);
    CHECK(a.values.to_vector() == std::vector<float>{0.1f, -2.5f, 1e10f, 4.0f});
  }
  SUBCASE("a payload larger than the read chunk, gzip, as concatenated members") {
    // 3 MB of ubyte spans several 1 MB chunks; two gzip members read as one stream (as gunzip).
    const int32_t n = 3 * 1024 * 1024 + 7;
    std::vector<uint8_t> v(static_cast<size_t>(n));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>((i * 7919) >> 3);
    const std::string s = ubyte_idx({n}, v);
    write_gzip(dir / "a.gz", s.substr(0, 1000));
    write_gzip(dir / "b.gz", s.substr(1000));
    write_raw(dir / "big.gz", read_bytes(dir / "a.gz") + read_bytes(dir / "b.gz"));
    const std::vector<uint8_t> got = read_idx(dir / "big.gz").to_vector<uint8_t>();
    REQUIRE(got.size() == v.size());
    CHECK(got == v);
  }
}

TEST_CASE("read_idx rejects malformed files with a message naming the file") {
  TempDir dir;
  const std::string good = ubyte_idx({2, 3}, {1, 2, 3, 4, 5, 6});

  SUBCASE("missing file") { check_idx_error(dir / "nope", "cannot open"); }
  SUBCASE("a directory") { check_idx_error(dir.path.string(), "directory"); }
  SUBCASE("empty file") {
    write_raw(dir / "empty", "");
    check_idx_error(dir / "empty", "truncated header");
  }
  SUBCASE("bad magic") {
    std::string s = good;
    s[1] = '\x01';
    write_raw(dir / "magic", s);
    check_idx_error(dir / "magic", "bad magic");
  }
  SUBCASE("unknown type") {
    std::string s = good;
    s[2] = '\x0a';
    write_raw(dir / "type", s);
    check_idx_error(dir / "type", "unknown element type 0x0a");
  }
  SUBCASE("zero dimensions") {
    write_raw(dir / "nd0", idx_header(0x08, {}) + "x");
    check_idx_error(dir / "nd0", "zero dimensions");
  }
  SUBCASE("an extent of zero or below") {
    write_raw(dir / "ext0", idx_header(0x08, {2, 0}));
    check_idx_error(dir / "ext0", "dimension 1 has extent 0");
    write_raw(dir / "extneg", idx_header(0x08, {-5}));
    check_idx_error(dir / "extneg", "dimension 0 has extent -5");
  }
  SUBCASE("a shape whose size overflows") {
    write_raw(dir / "huge", idx_header(0x0E, {2147483647, 2147483647, 2147483647}));
    check_idx_error(dir / "huge", "too large");
  }
  SUBCASE("truncated header") {
    write_raw(dir / "short", good.substr(0, 3));
    check_idx_error(dir / "short", "truncated header");
    write_raw(dir / "dims", good.substr(0, 9));  // 2 dims announced, 1.25 present
    check_idx_error(dir / "dims", "truncated header: expected 8 bytes");
  }
  SUBCASE("truncated payload, raw and gzip") {
    write_raw(dir / "trunc", good.substr(0, good.size() - 1));
    check_idx_error(dir / "trunc",
                    "truncated: expected 6 bytes of data after the 12-byte header, found 5");
    write_gzip(dir / "trunc.gz", good.substr(0, good.size() - 2));
    check_idx_error(dir / "trunc.gz",
                    "truncated: expected 6 bytes of data after the 12-byte header, found 4");
  }
  SUBCASE("a header claiming more than the gzip file can hold") {
    write_gzip(dir / "claims.gz", ubyte_idx({1 << 24, 64}, {1, 2, 3}));
    check_idx_error(dir / "claims.gz", "more than a gzip file");
  }
  SUBCASE("trailing bytes, raw and gzip") {
    write_raw(dir / "trail", good + "zz");
    check_idx_error(dir / "trail",
                    "trailing data: the file holds more than the 6 bytes of data its 12-byte header "
                    "declares (shape (2, 3) of ubyte)");
    write_gzip(dir / "trail.gz", good + "z");
    check_idx_error(dir / "trail.gz", "trailing data");
  }
  SUBCASE("more elements than the limit, refused before anything is allocated") {
    write_raw(dir / "big", ubyte_idx({1000, 1000}, {1, 2, 3}));
    try {
      read_idx_array(dir / "big", IdxOptions{999999});
      FAIL("no error");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()).find("holds 1000000 elements, more than the limit of 999999") != std::string::npos);
    }
  }
  SUBCASE("a FIFO or a directory is refused without blocking") {
    const std::string fifo = dir / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    check_idx_error(fifo, "is a FIFO, not a regular file");
    check_idx_error(dir.path.string(), "is a directory, not a regular file");
  }
  SUBCASE("corrupt gzip") {
    write_gzip(dir / "ok.gz", good);
    const std::string gz = read_bytes(dir / "ok.gz");
    REQUIRE(read_idx(dir / "ok.gz").numel() == 6);

    std::string flipped = gz;
    flipped[gz.size() - 6] = static_cast<char>(flipped[gz.size() - 6] ^ 0x10);  // CRC-32 trailer
    write_raw(dir / "crc.gz", flipped);
    check_idx_error(dir / "crc.gz", "corrupt gzip");

    std::string bad_method = gz;
    bad_method[2] = '\x07';  // compression method other than deflate
    write_raw(dir / "method.gz", bad_method);
    check_idx_error(dir / "method.gz", "corrupt gzip");

    write_raw(dir / "cut.gz", gz.substr(0, gz.size() - 5));
    check_idx_error(dir / "cut.gz", "corrupt gzip: truncated");

    write_raw(dir / "junk.gz", gz + "junk");
    check_idx_error(dir / "junk.gz", "after the end of the compressed stream");
  }
}

TEST_CASE("load_mnist reads the four files, raw or .gz, and validates them") {
  TempDir dir;
  // 3 training and 2 test images of 2x3 pixels.
  const std::vector<uint8_t> train_px{0,  1,  2,  3,   4,   5,   10,  11,  12,
                                      13, 14, 15, 250, 251, 252, 253, 254, 255};
  const std::vector<uint8_t> test_px{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0};
  write_raw(dir / "train-images-idx3-ubyte", ubyte_idx({3, 2, 3}, train_px));
  write_gzip(dir / "train-labels-idx1-ubyte.gz", ubyte_idx({3}, {5, 0, 9}));
  write_gzip(dir / "t10k-images-idx3-ubyte.gz", ubyte_idx({2, 2, 3}, test_px));
  write_raw(dir / "t10k-labels-idx1-ubyte", ubyte_idx({2}, {7, 2}));
  // A .gz beside a raw file loses: this one would fail the label check.
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", ubyte_idx({2}, {70, 2}));

  SUBCASE("values and shapes") {
    Mnist m = load_mnist(dir.path.string());
    CHECK(m.train_images.shape() == Shape{3, 2, 3});
    CHECK(m.train_images.to_vector<uint8_t>() == std::vector<uint8_t>(train_px.begin(), train_px.end()));
    CHECK(m.train_labels.shape() == Shape{3});
    CHECK(m.train_labels.to_vector<int64_t>() == std::vector<int64_t>{5, 0, 9});
    CHECK(m.test_images.shape() == Shape{2, 2, 3});
    CHECK(m.test_images.to_vector<uint8_t>() == std::vector<uint8_t>(test_px.begin(), test_px.end()));
    CHECK(m.test_labels.to_vector<int64_t>() == std::vector<int64_t>{7, 2});
  }
  SUBCASE("one split only, and headers checked before any data is read") {
    nn::data::MnistOptions test_only;
    test_only.train = false;
    fs::remove(dir / "train-images-idx3-ubyte");  // not needed
    Mnist m = load_mnist(dir.path.string(), test_only);
    CHECK_FALSE(m.train_images.defined());
    CHECK(m.test_images.shape() == Shape{2, 2, 3});
    nn::data::MnistOptions sized;
    sized.train = false;
    sized.height = 28;
    sized.width = 28;
    check_error([&] { load_mnist(dir.path.string(), sized); }, dir / "t10k-images-idx3-ubyte.gz",
                "images are 2x3, expected 28x28");
  }
  SUBCASE("a header claiming more images than the limit, refused before inflating anything") {
    // A small .gz whose header claims 400,000 28x28 images (313 M elements, 1.25 GB as float32).
    write_gzip(dir / "t10k-images-idx3-ubyte.gz", ubyte_idx({400000, 28, 28}, {1, 2, 3}));
    write_raw(dir / "t10k-labels-idx1-ubyte", ubyte_idx({400000}, {1}));
    check_error([&] { load_mnist(dir.path.string()); }, dir / "t10k-images-idx3-ubyte.gz",
                "more than the limit of 268435456");
  }
  SUBCASE("a missing file") {
    fs::remove(dir / "t10k-images-idx3-ubyte.gz");
    check_error([&] { load_mnist(dir.path.string()); }, dir / "t10k-images-idx3-ubyte",
                "not found");
  }
  SUBCASE("a label out of range") {
    write_raw(dir / "train-labels-idx1-ubyte", ubyte_idx({3}, {5, 10, 9}));
    check_error([&] { load_mnist(dir.path.string()); }, dir / "train-labels-idx1-ubyte",
                "label 10 at index 1 is outside 0..9");
  }
  SUBCASE("image and label counts differ") {
    write_raw(dir / "train-labels-idx1-ubyte", ubyte_idx({2}, {5, 0}));
    check_error([&] { load_mnist(dir.path.string()); }, dir / "train-labels-idx1-ubyte",
                "holds 2 labels but");
  }
  SUBCASE("images that are not 3-d ubyte") {
    write_raw(dir / "train-images-idx3-ubyte", ubyte_idx({3, 6}, train_px));
    check_error([&] { load_mnist(dir.path.string()); }, dir / "train-images-idx3-ubyte",
                "expected 3-d ubyte images");
    std::string s = idx_header(0x0D, {3, 1, 1});
    s += std::string(12, '\0');
    write_raw(dir / "train-images-idx3-ubyte", s);
    check_error([&] { load_mnist(dir.path.string()); }, dir / "train-images-idx3-ubyte", "float32");
  }
  SUBCASE("labels that are not 1-d ubyte") {
    std::string s = idx_header(0x09, {3});
    s += std::string{5, 0, 9};
    write_raw(dir / "train-labels-idx1-ubyte", s);
    check_error([&] { load_mnist(dir.path.string()); }, dir / "train-labels-idx1-ubyte",
                "expected 1-d ubyte labels");
  }
  SUBCASE("a malformed file is named") {
    write_raw(dir / "train-images-idx3-ubyte", ubyte_idx({3, 2, 3}, train_px) + "x");
    check_error([&] { load_mnist(dir.path.string()); }, dir / "train-images-idx3-ubyte",
                "trailing");
  }
}
