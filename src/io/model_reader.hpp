#pragma once
// Reading a model file from any ByteSource (a file, or bytes in memory for the fuzzer). Nothing
// in the file is trusted: the prefix is checked before the header is read, the checksum before
// the header is parsed, and the header's architecture, weight list, optimizer state and tensor
// table are checked against each other and against the file's size before any weight is
// allocated. Every error is std::runtime_error("<name>: <what>"), naming the field where one is
// at fault.
#include "nn/io/model_file.hpp"
#include "nn/model/model.hpp"
#include "util/input_file.hpp"

namespace nn::io::detail {

Model read_model(const nn::detail::ByteSource& source, const LoadOptions& options = {});
void read_weights(const nn::detail::ByteSource& source, Model& model, const LoadOptions& options = {});

}  // namespace nn::io::detail
