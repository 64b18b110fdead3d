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

struct SplitFiles {
  std::string images, labels;
};

// Checks a split's headers against each other and the options, reading no data.
SplitFiles check_split(const std::string& dir, const std::string& images_name, const std::string& labels_name,
                       const MnistOptions& o) {
  SplitFiles f{find_file(dir, images_name), find_file(dir, labels_name)};
  const IdxHeader images = read_idx_header(f.images);
  const IdxHeader labels = read_idx_header(f.labels);
  if (images.type != IdxType::ubyte || images.shape.size() != 3)
    throw std::runtime_error(fmt::format("{}: expected 3-d ubyte images (N, H, W), found {}-d {} of shape {}",
                                         f.images, images.shape.size(), to_string(images.type),
                                         nn::to_string(images.shape)));
  if (labels.type != IdxType::ubyte || labels.shape.size() != 1)
    throw std::runtime_error(fmt::format("{}: expected 1-d ubyte labels (N), found {}-d {} of shape {}", f.labels,
                                         labels.shape.size(), to_string(labels.type), nn::to_string(labels.shape)));
  if (images.shape[0] != labels.shape[0])
    throw std::runtime_error(fmt::format("{}: holds {} labels but {} holds {} images", f.labels, labels.shape[0],
                                         f.images, images.shape[0]));
  for (const auto& [path, h] : {std::pair{f.images, images}, std::pair{f.labels, labels}})
    if (h.elements > o.max_elements)
      throw std::runtime_error(fmt::format("{}: shape {} holds {} elements, more than the limit of {} "
                                           "(MnistOptions::max_elements)",
                                           path, nn::to_string(h.shape), h.elements, o.max_elements));
  if (o.height > 0 && o.width > 0 && (images.shape[1] != o.height || images.shape[2] != o.width))
    throw std::runtime_error(fmt::format("{}: images are {}x{}, expected {}x{}", f.images, images.shape[1],
                                         images.shape[2], o.height, o.width));
  return f;
}

// images: (N, H, W), labels: (N)
std::pair<Tensor, Tensor> load_split(const SplitFiles& f, const MnistOptions& o) {
  const IdxOptions limits{o.max_elements};
  IdxArray images = read_idx_array(f.images, limits);
  IdxArray labels = read_idx_array(f.labels, limits);
  const uint8_t* y = labels.values.data<uint8_t>();  // CPU tensor straight from read_idx
  for (int64_t i = 0; i < labels.values.numel(); ++i)
    if (y[i] > 9)
      throw std::runtime_error(fmt::format("{}: label {} at index {} is outside 0..9", f.labels, y[i], i));
  return {images.values, labels.values.to(kInt64)};
}

}  // namespace

Mnist load_mnist(const std::string& dir, const MnistOptions& o) {
  SplitFiles train, test;
  if (o.train) train = check_split(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", o);
  if (o.test) test = check_split(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", o);
  Mnist m;
  if (o.train) std::tie(m.train_images, m.train_labels) = load_split(train, o);
  if (o.test) std::tie(m.test_images, m.test_labels) = load_split(test, o);
  return m;
}

}  // namespace nn::data
