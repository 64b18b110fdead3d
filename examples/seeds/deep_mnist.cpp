// TensorFlow's "Deep MNIST for experts" network (deepnn) in nn: two 5x5 convolutions with
// truncated-normal weights and 0.1 biases, max pooling, a 1024-unit layer, dropout 0.5, Adam 1e-4.
//
//   deep_mnist [DATA_DIR=data/mnist] [STEPS=20000]
#include <cstdio>
#include <string>

#include <nn/nn.hpp>

int main(int argc, char** argv) {
  const std::string data_dir = argc > 1 ? argv[1] : "data/mnist";
  const int64_t steps = argc > 2 ? std::stoll(argv[2]) : 20000;  // the tutorial's 20,000 steps of 50
  nn::manual_seed(1);

  nn::data::Mnist mnist = nn::data::load_mnist(data_dir);
  auto image = [](nn::data::Example e) {
    return nn::data::Example{(e.x / 255.0f).reshape({1, 28, 28}), e.y};
  };
  auto train = nn::data::Dataset::from_tensor_slices(mnist.train_images, mnist.train_labels)
                   .shuffle(60000)
                   .map(image, nn::data::kAutotune)
                   .batch(50)
                   .repeat()
                   .prefetch(2);
  auto test =
      nn::data::Dataset::from_tensor_slices(mnist.test_images, mnist.test_labels).map(image).batch(1000);

  // weight_variable: truncated_normal(stddev=0.1); bias_variable: constant(0.1)
  auto conv = [](int64_t filters) {
    return nn::Conv2DOptions(filters, 5)
        .padding("same")
        .activation("relu")
        .kernel_initializer(nn::TruncatedNormal(0.0, 0.1))
        .bias_initializer(nn::Constant(0.1));
  };
  nn::Sequential model("deepnn");
  model.add(nn::Input({1, 28, 28}));
  model.add<nn::Conv2D>(conv(32));
  model.add<nn::MaxPool2D>(2);
  model.add<nn::Conv2D>(conv(64));
  model.add<nn::MaxPool2D>(2);
  model.add<nn::Flatten>();
  model.add<nn::Dense>(nn::DenseOptions(1024)
                           .activation("relu")
                           .kernel_initializer(nn::TruncatedNormal(0.0, 0.1))
                           .bias_initializer(nn::Constant(0.1)));
  model.add<nn::Dropout>(0.5f);
  model.add<nn::Dense>(nn::DenseOptions(10)
                           .activation("softmax")
                           .kernel_initializer(nn::TruncatedNormal(0.0, 0.1))
                           .bias_initializer(nn::Constant(0.1)));
  std::fputs(model.summary().c_str(), stdout);
  model.compile(nn::Adam(1e-4), "sparse_categorical_crossentropy", {"accuracy"});

  const int64_t per_epoch = std::min<int64_t>(steps, 1000);
  model.fit(train, nn::FitOptions()
                       .epochs(static_cast<int>((steps + per_epoch - 1) / per_epoch))
                       .steps_per_epoch(per_epoch));
  const nn::Logs result = model.evaluate(test);
  std::printf("test accuracy %g\n", result.at("accuracy"));
  model.save("deepnn.nn");
  return 0;
}
