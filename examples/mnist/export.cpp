// mnist export: a saved model in another format: ONNX for other runtimes, or nn's own file for an
// imported ONNX model.
#include <fmt/format.h>
#include <nn/io/model_file.hpp>
#ifdef NN_WITH_ONNX
#include <nn/io/onnx.hpp>
#endif

#include <filesystem>

#include "cli.hpp"
#include "commands.hpp"
#include "model_files.hpp"

namespace mnist {

CLI::App* add_export_command(CLI::App& app, ExportOptions& o) {
  CLI::App* cmd = app.add_subcommand("export", "Write a saved model as ONNX (or an ONNX model as an nn model file)");
  cmd->add_option("--model-file", o.model_file, "A model file (.nn, or .onnx)")->required();
  cmd->add_option("--format", o.format, "onnx: ONNX (IR 8, opset 17, a dynamic batch); nn: nn's own model file")
      ->check(CLI::IsMember({"onnx", "nn"}))
      ->capture_default_str();
  cmd->add_option("--out", o.out, "The file to write (replaced atomically)")->required();
  return cmd;
}

int run_export(const ExportOptions& o) {
  const nn::Model model = load_model_file(o.model_file, nn::Device::cpu());
  if (o.format == "onnx") {
#ifdef NN_WITH_ONNX
    nn::save_onnx(model, o.out);
#else
    throw UsageError("--format onnx: this build of mnist writes no ONNX files (nn was built without NN_WITH_ONNX)");
#endif
  } else {
    nn::save_model(model, o.out);
  }
  fmt::print("{}: {} ({} parameters, {} bytes)\n", o.out, o.format, model.count_params(),
             std::filesystem::file_size(o.out));
  return 0;
}

}  // namespace mnist
