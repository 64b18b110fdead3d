// mnist predict: the digit in each image file (or every image under a directory), batched through
// a saved model; one line per file, errors included, and a non-zero exit status if any file
// could not be read.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <nn/io/atomic_file.hpp>
#include <nn/nn.hpp>
#include <nn/vision/image.hpp>
#include <nn/vision/mnist_form.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_files.hpp"

namespace mnist {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Item {
  std::string path;
  nn::Tensor input;   // (28, 28), when it could be read
  std::string error;  // otherwise why not
  std::vector<std::pair<int, float>> top;  // best first
};

// Files as given; directories recursively, in name order.
std::vector<Item> collect(const std::vector<std::string>& paths) {
  std::vector<Item> items;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      for (fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
           !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) files.push_back(it->path().string());
      std::sort(files.begin(), files.end());
      for (auto& f : files) items.push_back({f, {}, "", {}});
    } else if (fs::exists(p, ec)) {
      items.push_back({p, {}, "", {}});
    } else {
      items.push_back({p, {}, "not found", {}});
    }
  }
  return items;
}

// Reads and preprocesses items [b, e) on `threads` threads, the pixels decoded at once bounded by
// the budget (a thread waits for its share).
void prepare(std::vector<Item>& items, size_t b, size_t e, int threads, nn::vision::PixelBudget& budget) {
  nn::vision::DecodeOptions options;
  options.budget = &budget;
  std::atomic<size_t> next{b};
  auto work = [&] {
    for (size_t i; (i = next++) < e;) {
      Item& it = items[i];
      if (!it.error.empty()) continue;
      try {
        it.input = nn::vision::to_mnist(nn::vision::read_image(it.path, options));
      } catch (const std::exception& err) {
        it.error = err.what();
        const std::string prefix = it.path + ": ";
        if (it.error.rfind(prefix, 0) == 0) it.error = it.error.substr(prefix.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// s itself when it is valid UTF-8; otherwise with each byte that is not part of a valid sequence
// written "\xHH". JSON holds UTF-8 only, and a Linux file name may hold any byte but '/' and NUL.
std::string utf8_or_escaped(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    uint32_t code = c & (0x7Fu >> n);
    for (size_t k = 1; ok && k < n; ++k) {
      const auto t = static_cast<unsigned char>(s[i + k]);
      ok = (t & 0xC0) == 0x80;
      code = code << 6 | (t & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 either.
    if (ok && n > 1)
      ok = code >= (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
    if (ok) {
      out.append(s, i, n);
      i += n;
    } else {
      out += fmt::format("\\x{:02X}", c);
      ++i;
    }
  }
  return out;
}

json to_json(const Item& it) {
  const std::string file = utf8_or_escaped(it.path);
  if (!it.error.empty()) return json{{"file", file}, {"error", utf8_or_escaped(it.error)}};
  json scores = json::array();
  for (auto [label, p] : it.top) scores.push_back({std::to_string(label), p});
  return json{{"file", file}, {"predicted_label", std::to_string(it.top[0].first)}, {"scores", scores}};
}

}  // namespace

CLI::App* add_predict_command(CLI::App& app, PredictOptions& o) {
  CLI::App* cmd = app.add_subcommand("predict", "Read the digit in image files (PNG, JPEG, BMP, PGM/PPM)");
  cmd->add_option("--model-file", o.model_file, "Model saved by 'mnist train', or an ONNX file (.onnx)")->required();
  cmd->add_option("paths", o.paths, "Image files and directories (searched recursively)")->required();
  cmd->add_flag("--json", o.json, "One JSON object per line instead of 'PATH: LABEL (SCORE)'");
  cmd->add_option("--output", o.output, "Also write the results to this file: CSV if it ends in .csv, else JSON lines");
  cmd->add_option("--debug-dir", o.debug_dir, "Write the 28x28 images the model saw here, as PNG");
  cmd->add_option("--batch-size", o.batch_size, "Images per forward pass")->check(integer_in(1, 1 << 16))->capture_default_str();
  add_threads_option(cmd, o.threads);
  add_device_option(cmd, o.device);
  add_gpu_options(cmd, o.gpu);
  cmd->add_option("--max-decoding-pixels", o.max_decoding_pixels,
                  "Pixels decoded at once, all threads together (a thread waits for its share)")
      ->check(integer_in(1, int64_t{1} << 40))
      ->capture_default_str();
  return cmd;
}

int run_predict(const PredictOptions& o) {
  apply_gpu_options(o.gpu);
  if (o.threads > 0) nn::set_num_threads(static_cast<int>(o.threads));
  nn::Model model = load_model_file(o.model_file, nn::parse_device(o.device));
  if (!model.built() || nn::numel(model.input_shape()) != 784)
    throw std::runtime_error(o.model_file + ": the model does not take 28x28 images");
  if (!o.debug_dir.empty()) fs::create_directories(o.debug_dir);

  std::vector<Item> items = collect(o.paths);
  const int threads = nn::num_threads();
  nn::vision::PixelBudget budget(o.max_decoding_pixels);
  for (size_t b = 0; b < items.size(); b += static_cast<size_t>(o.batch_size)) {
    const size_t e = std::min(items.size(), b + static_cast<size_t>(o.batch_size));
    prepare(items, b, e, threads, budget);
    std::vector<size_t> ok;
    for (size_t i = b; i < e; ++i)
      if (items[i].error.empty()) ok.push_back(i);
    if (!ok.empty()) {
      nn::Shape shape{static_cast<int64_t>(ok.size())};
      shape.insert(shape.end(), model.input_shape().begin(), model.input_shape().end());
      nn::Tensor x(shape);
      for (size_t k = 0; k < ok.size(); ++k)
        std::copy_n(items[ok[k]].input.data(), 784, x.data() + static_cast<int64_t>(k) * 784);
      const nn::Tensor p = nn::predict_probabilities(model, x, static_cast<int64_t>(ok.size()));
      const auto top = nn::top_classes(p, 5);
      for (size_t j = 0; j < ok.size(); ++j)
        for (const nn::ClassScore& c : top[j]) items[ok[j]].top.emplace_back(static_cast<int>(c.label), c.probability);
    }
    for (size_t i = b; i < e; ++i) {
      const Item& it = items[i];
      if (o.json) fmt::print("{}\n", to_json(it).dump());
      else if (!it.error.empty()) fmt::print("{}: error: {}\n", it.path, it.error);
      else fmt::print("{}: {} ({:.3f})\n", it.path, it.top[0].first, it.top[0].second);
      if (!o.debug_dir.empty() && it.error.empty()) {
        // A plain write: debug images need no crash safety, and the atomic writer's scan of the
        // directory for stale temporary files would make N images cost N^2.
        const fs::path png = fs::path(o.debug_dir) / fmt::format("{:05d}-{}.png", i, fs::path(it.path).stem().string());
        std::ofstream(png, std::ios::binary) << nn::vision::encode_png(it.input);
      }
      items[i].input = nn::Tensor();  // printed: its input is no longer needed
    }
  }
  size_t failed = 0;
  for (const Item& it : items) failed += !it.error.empty();
  if (!o.output.empty()) {
    const bool csv = fs::path(o.output).extension() == ".csv";
    std::string text = csv ? "file,predicted_label,score,top5,error\n" : "";
    for (const Item& it : items) {
      if (!csv) {
        text += to_json(it).dump() + "\n";
        continue;
      }
      std::string top5;
      for (auto [label, prob] : it.top) top5 += fmt::format("{}{}:{:.4f}", top5.empty() ? "" : " ", label, prob);
      text += fmt::format("{},{},{},{},{}\n", csv_field(it.path), it.top.empty() ? "" : std::to_string(it.top[0].first),
                          it.top.empty() ? "" : fmt::format("{:.6f}", it.top[0].second), top5, csv_field(it.error));
    }
    nn::io::write_file_atomically(o.output, text);  // no half-written or leftover file on failure
  }
  if (failed) fmt::print(stderr, "mnist: {} of {} files could not be read\n", failed, items.size());
  return failed ? 1 : 0;
}

}  // namespace mnist
