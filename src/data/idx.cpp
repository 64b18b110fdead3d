#include "nn/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "util/bytes.hpp"
#include "util/input_file.hpp"

namespace nn::data {

namespace {

// Bytes converted per step: a multiple of every element size, so elements never straddle chunks.
constexpr size_t kChunk = size_t{1} << 20;
// Deflate never expands more than about 1032:1, which bounds what a gzip file can hold and so
// rejects a lying header before it allocates.
constexpr int64_t kMaxInflateRatio = 1032;

[[noreturn]] void fail(const std::string& path, const std::string& what) { nn::detail::file_error(path, what); }

// The bytes of a source, inflated on the fly when it starts with the gzip magic 1f 8b.
// Concatenated gzip members are read as one stream, as gunzip does; anything else after the last
// member is an error.
class ByteReader {
 public:
  explicit ByteReader(const nn::detail::ByteSource& source) : src_(source), path_(source.name()), in_(kChunk) {
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
  }
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  bool gzip() const { return gzip_; }
  // Size of the source (compressed size for gzip).
  int64_t source_size() const { return static_cast<int64_t>(src_.size()); }

  // Reads up to n bytes; fewer only at the end of the (decompressed) data.
  size_t read(unsigned char* dst, size_t n) { return gzip_ ? read_gzip(dst, n) : read_raw(dst, n); }

  // Whether any data is left (reads at most one more byte).
  bool at_end() {
    unsigned char byte;
    return read(&byte, 1) == 0;
  }

 private:
  // Up to n bytes of the source from the current file position.
  size_t read_source(unsigned char* dst, size_t n) {
    const uint64_t left = src_.size() - file_pos_;
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, left));
    if (k) src_.read_at(file_pos_, dst, k);
    file_pos_ += k;
    return k;
  }

  // Moves the unread input to the front of in_ and reads until at least `want` bytes are
  // buffered or the source ends; returns the buffered count.
  size_t fill(size_t pos, size_t want) {
    size_t have = avail_;
    if (pos != 0 && have != 0) std::memmove(in_.data(), in_.data() + pos, have);
    while (have < want) {
      const size_t got = read_source(in_.data() + have, in_.size() - have);
      if (got == 0) break;
      have += got;
    }
    return have;
  }

  size_t read_raw(unsigned char* dst, size_t n) {
    const size_t from_buffer = std::min(n, avail_);
    std::memcpy(dst, in_.data() + pos_, from_buffer);
    pos_ += from_buffer;
    avail_ -= from_buffer;
    return from_buffer + read_source(dst + from_buffer, n - from_buffer);
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

  const nn::detail::ByteSource& src_;
  std::string path_;
  uint64_t file_pos_ = 0;
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

// The dtype an IDX element type is held in: ubyte as uint8, the signed integers as int32, both
// floats as float32.
DType dtype_for(IdxType type) {
  switch (type) {
    case IdxType::ubyte: return kUInt8;
    case IdxType::sbyte: case IdxType::int16: case IdxType::int32: return kInt32;
    case IdxType::float32: case IdxType::float64: return kFloat32;
  }
  return kFloat32;
}

// Big-endian elements of `type` -> dtype_for(type); memcpy reinterprets the bits without UB.
void convert(IdxType type, const unsigned char* src, void* out, size_t count) {
  auto* i32 = static_cast<int32_t*>(out);
  auto* f32 = static_cast<float*>(out);
  switch (type) {
    case IdxType::ubyte:
      std::memcpy(out, src, count);
      break;
    case IdxType::sbyte:
      for (size_t i = 0; i < count; ++i) {
        int8_t v;
        std::memcpy(&v, src + i, 1);
        i32[i] = v;
      }
      break;
    case IdxType::int16:
      for (size_t i = 0; i < count; ++i) {
        const auto u = static_cast<uint16_t>(src[2 * i] << 8 | src[2 * i + 1]);
        int16_t v;
        std::memcpy(&v, &u, 2);
        i32[i] = v;
      }
      break;
    case IdxType::int32:
      for (size_t i = 0; i < count; ++i) {
        const uint32_t u = load_be32(src + 4 * i);
        std::memcpy(i32 + i, &u, 4);
      }
      break;
    case IdxType::float32:
      for (size_t i = 0; i < count; ++i) {
        const uint32_t u = load_be32(src + 4 * i);
        std::memcpy(f32 + i, &u, 4);
      }
      break;
    case IdxType::float64:
      for (size_t i = 0; i < count; ++i) {
        const uint64_t u = load_be64(src + 8 * i);
        double v;
        std::memcpy(&v, &u, 8);
        f32[i] = static_cast<float>(v);
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

namespace {

// Reads and checks the magic, type and extents; leaves `in` at the first element.
IdxHeader read_header(ByteReader& in, const std::string& path) {
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
  IdxHeader h;
  h.type = type;
  h.gzip = in.gzip();
  h.shape.resize(static_cast<size_t>(ndim));
  for (int d = 0; d < ndim; ++d) {
    const uint32_t u = load_be32(dims + 4 * d);
    int32_t extent;
    std::memcpy(&extent, &u, 4);
    if (extent <= 0)
      fail(path, fmt::format("bad header: dimension {} has extent {}, expected > 0", d, extent));
    h.shape[static_cast<size_t>(d)] = extent;
  }
  // Extents are below 2^31, so an element count within kMaxElements (checked here) times the
  // element size cannot overflow.
  try {
    h.elements = nn::numel(h.shape);
  } catch (const std::invalid_argument&) {
    fail(path, fmt::format("bad header: shape {} of {} is too large", nn::to_string(h.shape), to_string(type)));
  }
  h.header_bytes = 4 + static_cast<int64_t>(dims_bytes);
  return h;
}

IdxArray read_array(const nn::detail::ByteSource& source, const IdxOptions& options) {
  const std::string& path = source.name();
  ByteReader in(source);
  const IdxHeader h = read_header(in, path);
  const int esize = element_size(h.type);
  if (h.elements > options.max_elements)
    fail(path, fmt::format("shape {} holds {} elements, more than the limit of {} (IdxOptions::max_elements)",
                           nn::to_string(h.shape), h.elements, options.max_elements));
  const int64_t payload = h.elements * esize;
  const int64_t header = h.header_bytes;

  // Reject a short file before allocating what its header claims.
  const int64_t size = in.source_size();
  if (!in.gzip() && size < header + payload)
    fail(path, fmt::format("truncated: expected {} bytes of data after the {}-byte header, "
                           "found {}",
                           payload, header, size - header));
  if (in.gzip() && size < (header + payload) / kMaxInflateRatio)
    fail(path, fmt::format("truncated: expected {} bytes of data after the {}-byte header, "
                           "more than a gzip file of {} bytes can hold",
                           payload, header, size));

  const DType dtype = dtype_for(h.type);
  IdxArray result{h.type, Tensor(h.shape, TensorOptions().dtype(dtype))};
  auto* out = static_cast<char*>(result.values.raw_data());
  std::vector<unsigned char> buffer(static_cast<size_t>(std::min<int64_t>(payload, kChunk)));
  int64_t done = 0;
  while (done < payload) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(payload - done, kChunk));
    const size_t got = in.read(buffer.data(), want);
    const size_t elements = got / static_cast<size_t>(esize);
    convert(h.type, buffer.data(), out, elements);
    out += elements * element_size(dtype);
    done += static_cast<int64_t>(got);
    if (got < want)
      fail(path, fmt::format("truncated: expected {} bytes of data after the {}-byte header, "
                             "found {}",
                             payload, header, done));
  }
  // One byte more is enough to know the file is wrong; inflating the rest of a large trailer
  // would only cost time.
  if (!in.at_end())
    fail(path, fmt::format("trailing data: the file holds more than the {} bytes of data its {}-byte header "
                           "declares (shape {} of {})",
                           payload, header, nn::to_string(h.shape), to_string(h.type)));
  return result;
}

}  // namespace

IdxHeader read_idx_header(const std::string& path) {
  const nn::detail::InputFile file(path);
  ByteReader in(file);
  return read_header(in, path);
}

IdxArray read_idx_array(const std::string& path, const IdxOptions& options) {
  const nn::detail::InputFile file(path);
  return read_array(file, options);
}

IdxArray parse_idx(std::string_view bytes, const std::string& name, const IdxOptions& options) {
  const nn::detail::MemorySource source(bytes, name);
  return read_array(source, options);
}

Tensor read_idx(const std::string& path, const IdxOptions& options) { return read_idx_array(path, options).values; }

}  // namespace nn::data
