#include "nn/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace nn::data {

namespace {

// Bytes converted per step: a multiple of every element size, so elements never straddle chunks.
constexpr size_t kChunk = size_t{1} << 20;
// Deflate never expands more than about 1032:1, which bounds what a gzip file can hold and so
// rejects a lying header before it allocates.
constexpr int64_t kMaxInflateRatio = 1032;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// The bytes of a file, inflated on the fly when the file starts with the gzip magic 1f 8b.
// Concatenated gzip members are read as one stream, as gunzip does; anything else after the last
// member is an error.
class ByteReader {
 public:
  explicit ByteReader(const std::string& path) : path_(path), in_(kChunk) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(path_, "cannot open: is a directory");
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) fail(path_, fmt::format("cannot open: {}", std::strerror(errno)));
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) file_size_ = static_cast<int64_t>(size);

    avail_ = fill(0, 2);
    gzip_ = avail_ >= 2 && in_[0] == 0x1f && in_[1] == 0x8b;
    if (gzip_) {
      // 16 + MAX_WBITS: expect a gzip wrapper and check its CRC-32 and length.
      if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) fail(path_, "cannot initialise zlib");
      z_initialised_ = true;
    }
  }
  ~ByteReader() {
    if (z_initialised_) inflateEnd(&z_);
    if (file_) std::fclose(file_);
  }
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  bool gzip() const { return gzip_; }
  // Size of the file on disk (compressed size for gzip); empty for pipes and the like.
  std::optional<int64_t> file_size() const { return file_size_; }

  // Reads up to n bytes; fewer only at the end of the (decompressed) data.
  size_t read(unsigned char* dst, size_t n) { return gzip_ ? read_gzip(dst, n) : read_raw(dst, n); }

  // Reads to the end and returns how many bytes were left.
  int64_t count_rest() {
    std::vector<unsigned char> scratch(kChunk);
    int64_t total = 0;
    for (;;) {
      const size_t got = read(scratch.data(), scratch.size());
      total += static_cast<int64_t>(got);
      if (got < scratch.size()) return total;
    }
  }

 private:
  // Moves the unread input to the front of in_ and reads from the file until at least `want`
  // bytes are buffered or the file ends; returns the buffered count.
  size_t fill(size_t pos, size_t want) {
    size_t have = avail_;
    if (pos != 0 && have != 0) std::memmove(in_.data(), in_.data() + pos, have);
    while (have < want) {
      const size_t got = std::fread(in_.data() + have, 1, in_.size() - have, file_);
      if (got == 0) {
        if (std::ferror(file_)) fail(path_, fmt::format("read error: {}", std::strerror(errno)));
        break;
      }
      have += got;
    }
    return have;
  }

  size_t read_raw(unsigned char* dst, size_t n) {
    const size_t from_buffer = std::min(n, avail_);
    std::memcpy(dst, in_.data() + pos_, from_buffer);
    pos_ += from_buffer;
    avail_ -= from_buffer;
    size_t got = from_buffer;
    while (got < n) {
      const size_t r = std::fread(dst + got, 1, n - got, file_);
      if (r == 0) {
        if (std::ferror(file_)) fail(path_, fmt::format("read error: {}", std::strerror(errno)));
        break;
      }
      got += r;
    }
    return got;
  }

  size_t read_gzip(unsigned char* dst, size_t n) {
    z_.next_out = dst;
    z_.avail_out = static_cast<uInt>(n);  // n <= kChunk
    while (z_.avail_out > 0) {
      if (member_done_) {
        // Another gzip member may follow; nothing else may.
        avail_ = fill(pos_, 2);
        pos_ = 0;
        if (avail_ == 0) break;
        if (avail_ < 2 || in_[0] != 0x1f || in_[1] != 0x8b)
          fail(path_, "corrupt gzip: unexpected data after the end of the compressed stream");
        inflateReset(&z_);
        member_done_ = false;
      }
      if (avail_ == 0) {
        avail_ = fill(0, 1);
        pos_ = 0;
        if (avail_ == 0) fail(path_, "corrupt gzip: truncated compressed stream");
      }
      z_.next_in = in_.data() + pos_;
      z_.avail_in = static_cast<uInt>(avail_);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      pos_ += avail_ - z_.avail_in;
      avail_ = z_.avail_in;
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc == Z_MEM_ERROR) {
        throw std::bad_alloc();
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail(path_, fmt::format("corrupt gzip: {}", z_.msg ? z_.msg : zError(rc)));
      }
    }
    return n - z_.avail_out;
  }

  std::string path_;
  std::FILE* file_ = nullptr;
  std::optional<int64_t> file_size_;
  std::vector<unsigned char> in_;  // buffered input: in_[pos_, pos_ + avail_) is unread
  size_t pos_ = 0;
  size_t avail_ = 0;
  bool gzip_ = false;
  z_stream z_{};
  bool z_initialised_ = false;
  bool member_done_ = false;
};

int element_size(IdxType type) {
  switch (type) {
    case IdxType::ubyte:
    case IdxType::sbyte:
      return 1;
    case IdxType::int16:
      return 2;
    case IdxType::int32:
    case IdxType::float32:
      return 4;
    case IdxType::float64:
      return 8;
  }
  return 0;  // not a known type
}

uint32_t load_be32(const unsigned char* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

uint64_t load_be64(const unsigned char* p) {
  return uint64_t{load_be32(p)} << 32 | load_be32(p + 4);
}

// Big-endian elements of `type` -> float; memcpy reinterprets the bits without UB.
void convert(IdxType type, const unsigned char* src, float* dst, size_t count) {
  switch (type) {
    case IdxType::ubyte:
      for (size_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]);
      break;
    case IdxType::sbyte:
      for (size_t i = 0; i < count; ++i) {
        int8_t v;
        std::memcpy(&v, src + i, 1);
        dst[i] = static_cast<float>(v);
      }
      break;
    case IdxType::int16:
      for (size_t i = 0; i < count; ++i) {
        const auto u = static_cast<uint16_t>(src[2 * i] << 8 | src[2 * i + 1]);
        int16_t v;
        std::memcpy(&v, &u, 2);
        dst[i] = static_cast<float>(v);
      }
      break;
    case IdxType::int32:
      for (size_t i = 0; i < count; ++i) {
        const uint32_t u = load_be32(src + 4 * i);
        int32_t v;
        std::memcpy(&v, &u, 4);
        dst[i] = static_cast<float>(v);
      }
      break;
    case IdxType::float32:
      for (size_t i = 0; i < count; ++i) {
        const uint32_t u = load_be32(src + 4 * i);
        std::memcpy(dst + i, &u, 4);
      }
      break;
    case IdxType::float64:
      for (size_t i = 0; i < count; ++i) {
        const uint64_t u = load_be64(src + 8 * i);
        double v;
        std::memcpy(&v, &u, 8);
        dst[i] = static_cast<float>(v);
      }
      break;
  }
}

}  // namespace

std::string to_string(IdxType type) {
  switch (type) {
    case IdxType::ubyte:
      return "ubyte";
    case IdxType::sbyte:
      return "sbyte";
    case IdxType::int16:
      return "int16";
    case IdxType::int32:
      return "int32";
    case IdxType::float32:
      return "float32";
    case IdxType::float64:
      return "float64";
  }
  return fmt::format("unknown type 0x{:02x}", static_cast<unsigned>(type));
}

IdxArray read_idx_array(const std::string& path) {
  ByteReader in(path);

  unsigned char magic[4];
  const size_t got_magic = in.read(magic, 4);
  if (got_magic < 4)
    fail(path, fmt::format("truncated header: expected at least 4 bytes, found {}", got_magic));
  if (magic[0] != 0 || magic[1] != 0)
    fail(path, fmt::format("not an IDX file: bad magic bytes {:02x} {:02x}, expected 00 00",
                           magic[0], magic[1]));
  const auto type = static_cast<IdxType>(magic[2]);
  const int esize = element_size(type);
  if (esize == 0)
    fail(path, fmt::format("unknown element type 0x{:02x} (known: 08 ubyte, 09 sbyte, 0b int16, "
                           "0c int32, 0d float32, 0e float64)",
                           magic[2]));
  const int ndim = magic[3];
  if (ndim == 0) fail(path, "bad header: zero dimensions (an IDX array needs at least one)");

  unsigned char dims[4 * 255];
  const size_t dims_bytes = 4 * static_cast<size_t>(ndim);
  const size_t got_dims = in.read(dims, dims_bytes);
  if (got_dims < dims_bytes)
    fail(path, fmt::format("truncated header: expected {} bytes of extents for {} dimensions, "
                           "found {}",
                           dims_bytes, ndim, got_dims));
  Shape shape(static_cast<size_t>(ndim));
  for (int d = 0; d < ndim; ++d) {
    const uint32_t u = load_be32(dims + 4 * d);
    int32_t extent;
    std::memcpy(&extent, &u, 4);
    if (extent <= 0)
      fail(path, fmt::format("bad header: dimension {} has extent {}, expected > 0", d, extent));
    shape[static_cast<size_t>(d)] = extent;
  }
  // count * esize stays below 2^62, so the byte counts below cannot overflow.
  constexpr int64_t kMaxBytes = std::numeric_limits<int64_t>::max() / 2;
  int64_t count = 1;
  for (int64_t extent : shape) {
    if (count > kMaxBytes / esize / extent)
      fail(path, fmt::format("bad header: shape {} of {} is too large", nn::to_string(shape),
                             to_string(type)));
    count *= extent;
  }
  const int64_t payload = count * esize;
  const int64_t header = 4 + static_cast<int64_t>(dims_bytes);

  // Reject a short file before allocating what its header claims.
  if (const auto size = in.file_size()) {
    if (!in.gzip() && *size < header + payload)
      fail(path, fmt::format("truncated: expected {} bytes of data after the {}-byte header, "
                             "found {}",
                             payload, header, *size - header));
    if (in.gzip() && *size < (header + payload) / kMaxInflateRatio)
      fail(path, fmt::format("truncated: expected {} bytes of data after the {}-byte header, "
                             "more than a gzip file of {} bytes can hold",
                             payload, header, *size));
  }

  IdxArray result{type, Tensor(shape)};
  float* out = result.values.data();
  std::vector<unsigned char> buffer(static_cast<size_t>(std::min<int64_t>(payload, kChunk)));
  int64_t done = 0;
  while (done < payload) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(payload - done, kChunk));
    const size_t got = in.read(buffer.data(), want);
    const size_t elements = got / static_cast<size_t>(esize);
    convert(type, buffer.data(), out, elements);
    out += elements;
    done += static_cast<int64_t>(got);
    if (got < want)
      fail(path, fmt::format("truncated: expected {} bytes of data after the {}-byte header, "
                             "found {}",
                             payload, header, done));
  }
  if (const int64_t extra = in.count_rest(); extra > 0)
    fail(path, fmt::format("trailing data: expected {} bytes of data after the {}-byte header "
                           "(shape {} of {}), found {} more",
                           payload, header, nn::to_string(shape), to_string(type), extra));
  return result;
}

Tensor read_idx(const std::string& path) { return read_idx_array(path).values; }

}  // namespace nn::data
