// The Keras MLP tutorial in nn: tf.data-style input, Dense/Dropout, three callbacks, save and load.
//
//   keras_mlp [DATA_DIR=data/mnist] [EPOCHS=5]
//
// Python original:
//   (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
//   train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(60000).map(scale).batch(128)
//   model = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(512, "relu"),
//                             layers.Dropout(0.2), layers.Dense(10, "softmax")])
//   model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
//   model.fit(train, epochs=5, validation_data=test, callbacks=[ModelCheckpoint(...), ...])
#include <cstdio>
#include <string>

#include <nn/nn.hpp>

int main(int argc, char** argv) {
  const std::string data_dir = argc > 1 ? argv[1] : "data/mnist";
  const int epochs = argc > 2 ? std::stoi(argv[2]) : 5;
  nn::manual_seed(42);

  nn::data::Mnist mnist = nn::data::load_mnist(data_dir);
  auto scale = [](nn::data::Example e) {
    return nn::data::Example{e.x / 255.0f, e.y};
  };  // (28, 28) in [0, 1]
  auto train = nn::data::Dataset::from_tensor_slices(mnist.train_images, mnist.train_labels)
                   .shuffle(60000, 42)
                   .map(scale, nn::data::kAutotune)
                   .batch(128)
                   .prefetch(nn::data::kAutotune);
  auto test =
      nn::data::Dataset::from_tensor_slices(mnist.test_images, mnist.test_labels).map(scale).batch(1000);

  nn::Sequential model;
  model.add(nn::Input({28, 28}));
  model.add<nn::Flatten>();
  model.add<nn::Dense>(512, "relu");
  model.add<nn::Dropout>(0.2f);
  model.add<nn::Dense>(10, "softmax");
  std::fputs(model.summary().c_str(), stdout);
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});

  model.fit(train,
            nn::FitOptions().epochs(epochs).validation_data(test).callbacks({
                std::make_shared<nn::ModelCheckpoint>(
                    "mlp.nn", nn::ModelCheckpointOptions().monitor("val_accuracy").save_best_only(true)),
                std::make_shared<nn::EarlyStopping>(nn::EarlyStoppingOptions().patience(2)),
                std::make_shared<nn::TensorBoard>("logs/mlp"),
            }));

  nn::Sequential best = nn::load_model("mlp.nn");
  const nn::Logs result = best.evaluate(test);
  std::printf("test accuracy: %.4f\n", result.at("accuracy"));
  return 0;
}
