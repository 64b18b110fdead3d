// "MNIST for ML beginners": softmax regression y = softmax(x W + b), trained by plain gradient
// descent on the autograd core alone (no layers, no fit).
//
//   softmax_regression [DATA_DIR=data/mnist] [STEPS=1000]
#include <cstdio>
#include <string>

#include <nn/nn.hpp>

int main(int argc, char** argv) {
  const std::string data_dir = argc > 1 ? argv[1] : "data/mnist";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 1000;

  nn::data::Mnist mnist = nn::data::load_mnist(data_dir);
  const nn::Tensor train_x = (mnist.train_images / 255.0f).reshape({-1, 784});  // (60000, 784)
  const nn::Tensor test_x = (mnist.test_images / 255.0f).reshape({-1, 784});    // (10000, 784)

  nn::Variable W(nn::Tensor::zeros({784, 10}), /*requires_grad=*/true);
  nn::Variable b(nn::Tensor::zeros({10}), true);
  nn::SGD sgd(0.5);
  sgd.set_parameters({W, b});
  nn::Generator gen(0);
  for (int step = 0; step < steps; ++step) {
    const int64_t start = static_cast<int64_t>(gen.below(600)) * 100;  // a random batch of 100
    const nn::Tensor x = train_x.slice(start, start + 100), y = mnist.train_labels.slice(start, start + 100);
    nn::Variable logits = nn::linear(nn::Variable(x), W, b);   // (100, 10)
    nn::Variable loss = nn::softmax_cross_entropy(logits, y);  // mean over the batch
    sgd.zero_grad();
    loss.backward();
    sgd.step();
  }

  nn::NoGradGuard no_grad;
  const nn::Tensor logits = nn::linear(nn::Variable(test_x), W, b).value();  // (10000, 10)
  const double accuracy = static_cast<double>(nn::count_correct(logits, mnist.test_labels)) / 10000.0;
  std::printf("test accuracy %.4f\n", accuracy);
  return 0;
}
