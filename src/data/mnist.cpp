#include "nn/data/mnist.hpp"

#include <filesystem>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "nn/data/idx.hpp"

namespace nn::data {

namespace {

namespace fs = std::filesystem;

// `dir/name`, else `dir/name.gz`.
std::string find_file(const std::string& dir, const std::string& name) {
  const fs::path raw = fs::path(dir) / name;
  fs::path gz = raw;
  gz += ".gz";
  std::error_code ec;
  if (fs::exists(raw, ec)) return raw.string();
  if (fs::exists(gz, ec)) return gz.string();
  throw std::runtime_error(
      fmt::format("{}: not found (nor {}.gz); scripts/fetch-mnist.sh {} downloads MNIST",
                  raw.string(), name, dir));
}

// images: (N, H, W), labels: (N)
std::pair<Tensor, Tensor> load_split(const std::string& dir, const std::string& images_name,
                                     const std::string& labels_name) {
  const std::string images_path = find_file(dir, images_name);
  const std::string labels_path = find_file(dir, labels_name);
  IdxArray images = read_idx_array(images_path);
  IdxArray labels = read_idx_array(labels_path);
  if (images.type != IdxType::ubyte || images.values.ndim() != 3)
    throw std::runtime_error(fmt::format(
        "{}: expected 3-d ubyte images (N, H, W), found {}-d {} of shape {}", images_path,
        images.values.ndim(), to_string(images.type), nn::to_string(images.values.shape())));
  if (labels.type != IdxType::ubyte || labels.values.ndim() != 1)
    throw std::runtime_error(fmt::format(
        "{}: expected 1-d ubyte labels (N), found {}-d {} of shape {}", labels_path,
        labels.values.ndim(), to_string(labels.type), nn::to_string(labels.values.shape())));
  if (images.values.dim(0) != labels.values.dim(0))
    throw std::runtime_error(fmt::format("{}: holds {} labels but {} holds {} images", labels_path,
                                         labels.values.dim(0), images_path, images.values.dim(0)));
  const float* y = labels.values.data();  // CPU tensor straight from read_idx
  for (int64_t i = 0; i < labels.values.numel(); ++i)
    if (y[i] > 9.0f)
      throw std::runtime_error(
          fmt::format("{}: label {} at index {} is outside 0..9", labels_path, y[i], i));
  return {images.values, labels.values};
}

}  // namespace

Mnist load_mnist(const std::string& dir) {
  Mnist m;
  std::tie(m.train_images, m.train_labels) =
      load_split(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte");
  std::tie(m.test_images, m.test_labels) =
      load_split(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
  return m;
}

}  // namespace nn::data
