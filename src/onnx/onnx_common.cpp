#include "onnx/onnx_common.hpp"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <stdexcept>

#include "nn/shape.hpp"

namespace nn::io::detail {
namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloat16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

int64_t element_size(int type) {
  switch (type) {
    case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: case onnx::TensorProto::UINT32: return 4;
    case onnx::TensorProto::DOUBLE: case onnx::TensorProto::INT64: case onnx::TensorProto::UINT64: return 8;
    case onnx::TensorProto::FLOAT16: case onnx::TensorProto::BFLOAT16: case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16: return 2;
    case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL: return 1;
    default: return 0;
  }
}

template <class T>
T load_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // nn targets little-endian machines, as ONNX's raw_data is
  return v;
}

// Element i of p as a double, from raw_data or the typed field (sizes checked by the caller).
double element(const onnx::TensorProto& p, int64_t i, bool raw) {
  const auto k = static_cast<size_t>(i);
  const int type = p.data_type();
  if (raw) {
    const char* b = p.raw_data().data() + k * static_cast<size_t>(element_size(type));
    switch (type) {
      case onnx::TensorProto::FLOAT: return load_le<float>(b);
      case onnx::TensorProto::DOUBLE: return load_le<double>(b);
      case onnx::TensorProto::FLOAT16: return half_to_float(load_le<uint16_t>(b));
      case onnx::TensorProto::BFLOAT16: return bfloat16_to_float(load_le<uint16_t>(b));
      case onnx::TensorProto::INT8: return load_le<int8_t>(b);
      case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL: return load_le<uint8_t>(b);
      case onnx::TensorProto::INT16: return load_le<int16_t>(b);
      case onnx::TensorProto::UINT16: return load_le<uint16_t>(b);
      case onnx::TensorProto::INT32: return load_le<int32_t>(b);
      case onnx::TensorProto::UINT32: return load_le<uint32_t>(b);
      case onnx::TensorProto::INT64: return static_cast<double>(load_le<int64_t>(b));
      case onnx::TensorProto::UINT64: return static_cast<double>(load_le<uint64_t>(b));
      default: break;
    }
  } else {
    switch (type) {
      case onnx::TensorProto::FLOAT: return p.float_data(static_cast<int>(i));
      case onnx::TensorProto::DOUBLE: return p.double_data(static_cast<int>(i));
      case onnx::TensorProto::INT64: return static_cast<double>(p.int64_data(static_cast<int>(i)));
      case onnx::TensorProto::UINT32: case onnx::TensorProto::UINT64:
        return static_cast<double>(p.uint64_data(static_cast<int>(i)));
      case onnx::TensorProto::FLOAT16: return half_to_float(static_cast<uint16_t>(p.int32_data(static_cast<int>(i))));
      case onnx::TensorProto::BFLOAT16:
        return bfloat16_to_float(static_cast<uint16_t>(p.int32_data(static_cast<int>(i))));
      default: return p.int32_data(static_cast<int>(i));  // the narrower integers and bool
    }
  }
  return 0;
}

int typed_count(const onnx::TensorProto& p) {
  switch (p.data_type()) {
    case onnx::TensorProto::FLOAT: return p.float_data_size();
    case onnx::TensorProto::DOUBLE: return p.double_data_size();
    case onnx::TensorProto::INT64: return p.int64_data_size();
    case onnx::TensorProto::UINT32: case onnx::TensorProto::UINT64: return p.uint64_data_size();
    default: return p.int32_data_size();
  }
}

// The checked shape and element count of p, and whether its data is raw_data.
int64_t checked_count(const onnx::TensorProto& p, const std::string& where, bool* raw) {
  if (p.data_location() == onnx::TensorProto::EXTERNAL || p.external_data_size() > 0)
    throw std::runtime_error(where + ": tensor data in an external file is not read (it could name any path)");
  if (p.has_segment()) throw std::runtime_error(where + ": segmented tensors are not supported");
  const int64_t size = element_size(p.data_type());
  if (size == 0)
    throw std::runtime_error(where + ": element type " + elem_type_name(p.data_type()) + " is not supported");
  if (p.dims_size() > 8) throw std::runtime_error(fmt::format("{}: rank {} is over nn's limit of 8", where, p.dims_size()));
  int64_t n = 1;
  for (int64_t d : p.dims()) {
    if (d < 0) throw std::runtime_error(fmt::format("{}: negative dimension {}", where, d));
    n = checked_mul(n, d, "ONNX tensor");
  }
  *raw = p.has_raw_data();
  const int64_t present = *raw ? static_cast<int64_t>(p.raw_data().size()) : typed_count(p);
  const int64_t wanted = *raw ? n * size : n;  // n * size cannot overflow: n < 2^56
  if (n > static_cast<int64_t>(1) << 40 || present != wanted)
    throw std::runtime_error(fmt::format("{}: dims [{}] make {} elements, but the data holds {} {}", where,
                                         fmt::join(p.dims(), ", "), n, present, *raw ? "bytes" : "values"));
  return n;
}

}  // namespace

std::string elem_type_name(int type) {
  if (onnx::TensorProto::DataType_IsValid(type))
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type));
  return fmt::format("<unknown type {}>", type);
}

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* out) {
  const Tensor f = t.to(Device::cpu()).to(kFloat32);
  out->set_name(name);
  out->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : f.shape()) out->add_dims(d);
  out->set_raw_data(f.raw_data(), static_cast<size_t>(f.numel()) * 4);
}

Tensor tensor_from_proto(const onnx::TensorProto& p, const std::string& where) {
  bool raw = false;
  const int64_t n = checked_count(p, where, &raw);
  Shape shape(p.dims().begin(), p.dims().end());
  Tensor t(shape);
  float* dst = t.data();
  if (raw && p.data_type() == onnx::TensorProto::FLOAT) {
    if (n > 0) std::memcpy(dst, p.raw_data().data(), static_cast<size_t>(n) * 4);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(element(p, i, raw));
  }
  return t;
}

std::vector<int64_t> ints_from_proto(const onnx::TensorProto& p, const std::string& where, int64_t max_elements) {
  bool raw = false;
  const int type = p.data_type();
  if (type != onnx::TensorProto::INT64 && type != onnx::TensorProto::INT32)
    throw std::runtime_error(where + ": expected an integer tensor, got " + elem_type_name(type));
  const int64_t n = checked_count(p, where, &raw);
  if (n > max_elements) throw std::runtime_error(fmt::format("{}: {} values, at most {} expected", where, n, max_elements));
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (type == onnx::TensorProto::INT64)
      out[static_cast<size_t>(i)] = raw ? load_le<int64_t>(p.raw_data().data() + i * 8) : p.int64_data(static_cast<int>(i));
    else
      out[static_cast<size_t>(i)] = raw ? load_le<int32_t>(p.raw_data().data() + i * 4) : p.int32_data(static_cast<int>(i));
  }
  return out;
}

void parse_proto(const std::string& bytes, const std::string& name, google::protobuf::MessageLite& out) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(name + ": over 2 GiB, protobuf's limit for one message");
  if (!out.ParseFromString(bytes))
    throw std::runtime_error(name + ": not a valid " + out.GetTypeName() + " (truncated or corrupt protobuf)");
}

}  // namespace nn::io::detail
