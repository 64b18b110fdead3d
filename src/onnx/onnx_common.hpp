#pragma once
// What the ONNX exporter and importer share: ONNX's generated protobuf classes (libonnx-dev's
// onnx-ml.pb.h, package onnx) and the conversion between TensorProto and nn's tensors.
#include <onnx/onnx_pb.h>

#include <string>

#include "nn/tensor.hpp"

namespace nn::io::detail {

// t (any float dtype, any device) as a float32 TensorProto named `name`, little-endian raw_data.
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* out);

// A TensorProto as a float32 host tensor (float, double, float16, bfloat16 and the integer types
// converted). Checks the declared dims against the data actually present before allocating, and
// refuses external data, segments, strings and complex types; errors begin with `where`.
Tensor tensor_from_proto(const onnx::TensorProto& p, const std::string& where);
// The same for an integer tensor (shapes, axes, pads), as int64 values, at most `max_elements`.
std::vector<int64_t> ints_from_proto(const onnx::TensorProto& p, const std::string& where, int64_t max_elements);

std::string elem_type_name(int type);

// Parses bytes as a ModelProto (or a TensorProto) with protobuf's own limits; throws
// std::runtime_error naming `name` when they are not one.
void parse_proto(const std::string& bytes, const std::string& name, google::protobuf::MessageLite& out);

}  // namespace nn::io::detail
