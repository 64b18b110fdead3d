#pragma once
// IDX: the array file format of MNIST (http://yann.lecun.com/exdb/mnist/).
//
//   bytes 0-1   0x00 0x00
//   byte  2     element type (IdxType)
//   byte  3     number of dimensions, >= 1
//   then        one big-endian int32 extent per dimension, outermost first
//   then        the elements, row-major, big-endian
//
// Files may be gzip-compressed (as distributed); compression is recognised by its magic bytes,
// not by the file name.
#include <cstdint>
#include <string>
#include <string_view>

#include "nn/tensor.hpp"

namespace nn::data {

enum class IdxType : uint8_t {
  ubyte = 0x08,
  sbyte = 0x09,
  int16 = 0x0B,
  int32 = 0x0C,
  float32 = 0x0D,
  float64 = 0x0E,
};

std::string to_string(IdxType type);  // "ubyte", "int32", ...

// What an IDX header says, read without reading the data (cheap: the first bytes, inflated as
// far as needed for gzip).
struct IdxHeader {
  IdxType type = IdxType::ubyte;
  Shape shape;
  int64_t elements = 0;      // product of the extents
  int64_t header_bytes = 0;  // magic and extents
  bool gzip = false;
};

// Bounds on what a reader may allocate for a file's contents.
struct IdxOptions {
  int64_t max_elements = int64_t{1} << 30;
};

// An IDX file's contents: the stored element type and the values, in the dtype that holds them
// exactly: ubyte as kUInt8 (MNIST's images stay bytes), sbyte, int16 and int32 as kInt32,
// float32 as kFloat32; float64 is rounded to kFloat32.
struct IdxArray {
  IdxType type = IdxType::ubyte;
  Tensor values;  // the stored shape
};

// Reads only the header. Throws like read_idx_array for a bad one.
IdxHeader read_idx_header(const std::string& path);

// Reads a whole IDX file, raw or gzip. Throws std::runtime_error("<path>: <what is wrong>") for a
// missing, unreadable or non-regular file, a bad header (magic, type, ndims, extents), more
// elements than options.max_elements, a payload shorter or longer than the header says, or
// corrupt gzip data.
IdxArray read_idx_array(const std::string& path, const IdxOptions& options = {});

// The same from bytes in memory; `name` stands for the path in messages.
IdxArray parse_idx(std::string_view bytes, const std::string& name = "<memory>",
                   const IdxOptions& options = {});

// read_idx_array(path).values
Tensor read_idx(const std::string& path, const IdxOptions& options = {});

}  // namespace nn::data
