// End to end on the real MNIST (fetched by the ctest fixture `fetch_mnist`): the files themselves,
// then the mlp trained for one epoch through the whole stack (IDX loader, pipeline, Sequential,
// callbacks, save/load).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>
#include <filesystem>

#include "nn/data/mnist.hpp"
#include "nn/io/model_file.hpp"
#include "nn/model/callbacks/model_checkpoint.hpp"
#include "nn/nn.hpp"
#include "nn/vision/mnist_form.hpp"
#include "photo.hpp"

using namespace nn;

TEST_CASE("the real MNIST files: shapes, well-known labels, pixel range") {
  const char* dir = std::getenv("NN_MNIST_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "set NN_MNIST_DIR to a folder holding MNIST (scripts/fetch-mnist.sh DIR)");
  const data::Mnist m = data::load_mnist(dir);
  CHECK(m.train_images.shape() == Shape{60000, 28, 28});
  CHECK(m.train_labels.shape() == Shape{60000});
  CHECK(m.test_images.shape() == Shape{10000, 28, 28});
  CHECK(m.test_labels.shape() == Shape{10000});
  // The well-known first training labels, and pixels spanning 0..255.
  CHECK(m.train_images.dtype() == kUInt8);
  CHECK(m.train_labels.dtype() == kInt64);
  CHECK(m.train_labels.slice(0, 5).to_vector<int64_t>() == std::vector<int64_t>{5, 0, 4, 1, 9});
  CHECK(m.test_labels.slice(0, 3).to_vector<int64_t>() == std::vector<int64_t>{7, 2, 1});
  const std::vector<uint8_t> px = m.train_images.slice(0, 1).to_vector<uint8_t>();
  CHECK(*std::min_element(px.begin(), px.end()) == 0);
  CHECK(*std::max_element(px.begin(), px.end()) == 255);
  std::vector<int> counts(10, 0);
  for (int64_t y : m.train_labels.to_vector<int64_t>()) ++counts[static_cast<size_t>(y)];
  CHECK(counts[1] == 6742);  // the most frequent digit in the training set
}

TEST_CASE("the mlp learns MNIST to at least 95% in one epoch") {
  const char* dir = std::getenv("NN_MNIST_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "set NN_MNIST_DIR to a folder holding MNIST (scripts/fetch-mnist.sh DIR)");
  const data::Mnist mnist = data::load_mnist(dir);
  REQUIRE(mnist.train_images.dim(0) == 60000);
  REQUIRE(mnist.test_images.dim(0) == 10000);

  auto scale = [](data::Example e) {
    Tensor x({e.x.numel()});
    for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = e.x.data<uint8_t>()[i] / 255.0f;
    return data::Example{x, e.y};
  };
  auto train = data::Dataset::from_tensor_slices(mnist.train_images, mnist.train_labels)
                   .shuffle(60000, 1)
                   .map(scale)
                   .batch(64)
                   .prefetch(2);
  auto test = data::Dataset::from_tensor_slices(mnist.test_images, mnist.test_labels).map(scale).batch(1000);

  manual_seed(1);
  Sequential model;
  model.add<Dense>(512, "relu");
  model.add<Dropout>(0.2f);
  model.add<Dense>(10, "softmax");
  model.compile(std::make_shared<Adam>(), "sparse_categorical_crossentropy", {"accuracy"});
  const std::string path = (std::filesystem::temp_directory_path() / "nn_mnist_e2e.nn").string();
  FitOptions o;
  o.epochs(1);
  o.verbose(2);
  o.validation_data(test);
  o.callbacks({std::make_shared<ModelCheckpoint>(path)});
  History h = model.fit(train, o);
  MESSAGE("test accuracy after one epoch: " << h.history["val_accuracy"].back());
  CHECK(h.history["val_accuracy"].back() >= 0.95);

  Sequential loaded = load_model(path);
  CHECK(loaded.evaluate(test).at("accuracy") == doctest::Approx(h.history["val_accuracy"].back()));
  std::filesystem::remove(path);

  // The same digits photographed as a person would (dark ink at any place and size on lighter
  // paper, uneven light, blur, noise), read through nn::vision: about as well as MNIST itself.
  const int64_t n = 300;
  Generator g(5);
  Tensor originals({n, 784}), photos({n, 784});
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* raw = mnist.test_images.data<uint8_t>() + i * 784;
    std::vector<float> digit(784);
    for (int k = 0; k < 784; ++k) digit[static_cast<size_t>(k)] = raw[k] / 255.0f;
    std::copy(digit.begin(), digit.end(), originals.data() + i * 784);
    const Tensor read = vision::to_mnist(nn::test::photograph(digit.data(), g));
    std::copy_n(read.data(), 784, photos.data() + i * 784);
  }
  const Tensor labels = mnist.test_labels.slice(0, n);
  const double clean = static_cast<double>(count_correct(model.predict(originals), labels)) / n;
  const double photographed = static_cast<double>(count_correct(model.predict(photos), labels)) / n;
  MESSAGE("the first " << n << " test digits: " << clean << " as MNIST has them, " << photographed << " photographed");
  CHECK(photographed >= clean - 0.04);
}
