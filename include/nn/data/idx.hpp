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

// An IDX file's contents: the stored element type and the values converted to float32
// (int32 values beyond 2^24 and float64 values are rounded to the nearest float).
struct IdxArray {
  IdxType type = IdxType::ubyte;
  Tensor values;  // the stored shape
};

// Reads a whole IDX file, raw or gzip. Throws std::runtime_error("<path>: <what is wrong>") for a
// missing or unreadable file, a bad header (magic, type, ndims, extents), a payload shorter or
// longer than the header says, or corrupt gzip data.
IdxArray read_idx_array(const std::string& path);

// read_idx_array(path).values
Tensor read_idx(const std::string& path);

}  // namespace nn::data
