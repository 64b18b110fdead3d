// mnist evaluate: a saved model's loss and accuracy on the test split; with --report, each class's
// precision, recall and F1 (scikit-learn's classification report) and the confusion matrix.
#include <fmt/format.h>
#include <nn/io/model_file.hpp>
#include <nn/nn.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "data.hpp"
#include "model_files.hpp"

namespace mnist {

CLI::App* add_evaluate_command(CLI::App& app, EvaluateOptions& o) {
  CLI::App* cmd = app.add_subcommand("evaluate", "Evaluate a saved model on the MNIST test images");
  cmd->add_option("--data", o.data, "Directory with the MNIST IDX files (raw or .gz)")->required();
  cmd->add_option("--model-file", o.model_file, "Model saved by 'mnist train' (or nn::save_model), or an ONNX file (.onnx)")
      ->required();
  cmd->add_option("--batch-size", o.batch_size, "Images per forward pass")
      ->check(integer_in(1, 1 << 20))
      ->capture_default_str();
  cmd->add_flag("--report", o.report, "Also print each class's precision, recall and F1, and the confusion matrix");
  add_threads_option(cmd, o.threads);
  add_device_option(cmd, o.device);
  add_gpu_options(cmd, o.gpu);
  return cmd;
}

int run_evaluate(const EvaluateOptions& o) {
  apply_gpu_options(o.gpu);
  if (o.threads > 0) nn::set_num_threads(static_cast<int>(o.threads));
  nn::Model model = load_model_file(o.model_file, nn::parse_device(o.device));
  const nn::data::Mnist data = load_test_split(o.data, model, o.model_file);
  compile_for_evaluation(model);
  const nn::Tensor images = scaled(data.test_images, model.input_shape());
  const nn::Logs test = model.evaluate(images, data.test_labels, o.batch_size);
  fmt::print("test_loss: {:.4f}\n", test.at("loss"));
  fmt::print("test_accuracy: {:.4f}\n", test.at("accuracy"));
  if (o.report) {
    const nn::ConfusionMatrix cm =
        nn::confusion_matrix(nn::predict_probabilities(model, images, o.batch_size), data.test_labels);
    fmt::print("\n{}\nconfusion matrix ({} test images; rows: true class, columns: predicted class)\n{}", cm.report(),
               cm.total(), cm.table());
  }
  return 0;
}

}  // namespace mnist
