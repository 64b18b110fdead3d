// End to end on the real MNIST (fetched by the ctest fixture `fetch_mnist`): the mlp trained for
// one epoch through the whole stack (IDX loader, pipeline, Sequential, callbacks, save/load).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "nn/data/mnist.hpp"
#include "nn/io/model_file.hpp"
#include "nn/model/callbacks/model_checkpoint.hpp"
#include "nn/nn.hpp"

using namespace nn;

TEST_CASE("the mlp learns MNIST to at least 95% in one epoch") {
  const char* dir = std::getenv("NN_MNIST_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "set NN_MNIST_DIR to a folder holding MNIST (scripts/fetch-mnist.sh DIR)");
  const data::Mnist mnist = data::load_mnist(dir);
  REQUIRE(mnist.train_images.dim(0) == 60000);
  REQUIRE(mnist.test_images.dim(0) == 10000);

  auto scale = [](data::Example e) {
    Tensor x({e.x.numel()});
    for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = e.x.data()[i] / 255.0f;
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
}
