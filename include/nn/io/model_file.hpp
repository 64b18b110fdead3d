#pragma once
// Saving and loading models: one self-describing, versioned file holding the architecture
// (each layer's type and config), the weights, and the compile settings with the optimizer's
// state, so nn::load_model(path) rebuilds a model without its C++ type and training can resume.
//
// Layout (little-endian; the details are in src/io/model_format.hpp):
//   8 bytes   magic "\x89NNMODEL"
//   uint32    format version (kModelFormatVersion)
//   uint64    header length H
//   H bytes   header: JSON (architecture, compile settings, tensor table)
//   tensors   each in its dtype, little-endian, at the offsets the tensor table gives
//   uint32    CRC-32C of everything before it
// Writes go to a temporary file in the same directory (an unpredictable name, created with
// O_EXCL | O_NOFOLLOW), are flushed to disk, then renamed over the target: a crash or kill
// mid-save leaves the previous file intact, and the next save removes the temporary files of
// killed ones. Reading trusts nothing in the file: a truncated, corrupt, newer-version or
// inconsistent file is refused, before anything is allocated for it, with an error naming the
// file and the field.
#include <string>

#include "nn/arg.hpp"
#include "nn/model/model.hpp"
#include "nn/model/sequential.hpp"

namespace nn::io {

// Version 2 records each tensor's dtype; version 1 files (all float32) still load.
constexpr uint32_t kModelFormatVersion = 2;

// A model whose weights or optimizer state hold NaN or an infinity is refused at load, naming the
// tensor (it would predict NaN, or a confident-looking class, without a word);
// allow_non_finite(true) loads it anyway, for debugging a run that diverged.
// device: where the loaded model lives (as model.to(device) after loading).
class LoadOptions {
  NN_ARG(bool, allow_non_finite) = false;
  NN_ARG(Device, device) = Device::cpu();
};

// A Sequential is saved as its chain of layers, a functional model as its graph; load_model gives
// back either as an nn::Model (which converts to an nn::Sequential when it is one).
void save_model(const Model& model, const std::string& path);
Model load_model(const std::string& path, const LoadOptions& options = {});
// The same onto a device (torch.load's map_location): load_model("model.nn", nn::Device::cuda()).
Model load_model(const std::string& path, Device device);

// Weights only (Keras's save_weights_only). load_weights matches the file's weights to the
// model's parameters by position, as Keras does, and requires the same count and shapes (names
// may differ: default layer names depend on what else the program created).
void save_weights(const Model& model, const std::string& path);
void load_weights(Model& model, const std::string& path, const LoadOptions& options = {});

}  // namespace nn::io

namespace nn {
using io::load_model;
using io::save_model;
}  // namespace nn
