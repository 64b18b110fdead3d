#pragma once
// The model file format, shared by the writer (model_file.cpp) and the reader (model_reader.cpp).
//
//   offset 0    8 bytes   magic "\x89NNMODEL"
//          8    uint32    format version (kModelFormatVersion)
//          12   uint64    header length H (at most kMaxHeaderBytes)
//          20   H bytes   header: JSON
//                         {"format": "nn.model", "kind": "model" | "weights",
//                          "model": {"class": "Sequential", "name", "input_shape": [...] | null,
//                                    "layers": [{"type", "config", "state"}, ...]}
//                                 | {"class": "Functional", "name",
//                                    "layers": [{"type", "config", "state"}, ...] (inputs' first),
//                                    "nodes": [{"layer": i, "inputs": [node, ...]}, ...],
//                                    "inputs": [node, ...], "outputs": [node, ...]},
//                          "weights": [{"name": "<layer>/<weight>", "tensor": i}, ...],
//                          "compile": null | {"optimizer": {"type", "config"},
//                                             "optimizer_state": {"iterations", "learning_rate",
//                                                                 "slots": {"<slot>": [i, ...]}},
//                                             "loss": {"name", "from_logits"}, "metrics": [...]},
//                          "tensors": [{"name", "shape", "dtype", "offset"}, ...]}
//          20+H         little-endian data; tensor i at data + tensors[i].offset, a multiple of
//                       8 (version 1: float32 only, no "dtype", offsets multiples of 4)
//          size-4       uint32 CRC-32C of every byte before it
#include <cstddef>
#include <cstdint>

#include "nn/io/model_file.hpp"

namespace nn::io::detail {

constexpr char kMagic[8] = {'\x89', 'N', 'N', 'M', 'O', 'D', 'E', 'L'};
constexpr size_t kPrefix = 8 + 4 + 8;  // magic, version, header length
// Limits on the header, checked before (size) or while (the rest) it is parsed.
constexpr uint64_t kMaxHeaderBytes = uint64_t{64} << 20;
constexpr int kMaxHeaderDepth = 32;     // nesting of objects and arrays
constexpr int64_t kMaxLayers = 100'000;  // in model.layers
constexpr int64_t kMaxExtent = 0x7fffffff;  // per dimension of a stored tensor or input shape

}  // namespace nn::io::detail
