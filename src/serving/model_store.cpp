#include "serving/model_store.hpp"

#include "nn/model/classify.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/io/model_file.hpp"
#include "util/decimal.hpp"

namespace nn::serving::detail {
namespace {

namespace fs = std::filesystem;


}  // namespace

ModelStore::ModelStore(std::string file, std::string dir, double poll_seconds, Log log, Device device, Loader loader)
    : file_(std::move(file)), dir_(std::move(dir)), log_(std::move(log)), device_(device), loader_(std::move(loader)) {
  if (file_.empty() == dir_.empty()) throw std::invalid_argument("serve: give a model file or a model directory, not both");
  if (!file_.empty()) {
    current_ = load(1, file_);  // throws with the file's error
    seen_[1].status = {1, "AVAILABLE", "OK", ""};
    return;
  }
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) throw std::runtime_error(dir_ + ": not a directory");
  scan();
  if (!current()) {
    std::string why;
    for (const auto& [v, s] : seen_) why += fmt::format("; version {}: {}", v, s.status.error_message);
    throw std::runtime_error(dir_ + ": no model version could be loaded (expected numbered folders holding model.nn or model.onnx" +
                             (why.empty() ? std::string(", found none") : why) + ")");
  }
  if (poll_seconds > 0) poller_ = std::thread([this, poll_seconds] { poll_loop(poll_seconds); });
}

ModelStore::~ModelStore() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (poller_.joinable()) poller_.join();
}

std::shared_ptr<const Servable> ModelStore::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

std::vector<VersionStatus> ModelStore::statuses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<VersionStatus> out;
  for (auto it = seen_.rbegin(); it != seen_.rend(); ++it) out.push_back(it->second.status);
  return out;
}

std::shared_ptr<const Servable> ModelStore::load(int64_t version, const std::string& path) const {
  auto s = std::make_shared<Servable>();
  s->version = version;
  s->path = path;
  s->model = std::make_shared<Model>(loader_ ? loader_(path, device_) : load_model(path, device_));
  if (!s->model->built()) throw std::runtime_error(path + ": the model has no input shape (it was never built)");
  s->input_shape = s->model->input_shape();  // the signature requests are parsed against
  const Shape out = s->model->output_shape();
  if (out.size() != 1 || out[0] < 2)
    throw std::runtime_error(fmt::format("{}: the model's outputs have shape {}, not class scores", path, to_string(out)));
  s->classes = out[0];
  Shape batch{1};
  batch.insert(batch.end(), s->input_shape.begin(), s->input_shape.end());
  predict_probabilities(*s->model, Tensor::zeros(batch));  // a first pass before requests see it
  return s;
}

void ModelStore::scan() {
  if (dir_.empty()) return;
  std::lock_guard<std::mutex> scanning(scan_mutex_);
  std::vector<std::pair<int64_t, std::string>> candidates;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::optional<int64_t> version = nn::detail::parse_decimal(name);
    if (!version || !it->is_directory(ec)) continue;
    // model.nn, or an ONNX file where the version has no model.nn
    const fs::path nn_file = it->path() / "model.nn", onnx_file = it->path() / "model.onnx";
    candidates.emplace_back(*version, (!fs::exists(nn_file, ec) && fs::exists(onnx_file, ec) ? onnx_file : nn_file).string());
  }
  std::sort(candidates.rbegin(), candidates.rend());  // newest first
  const int64_t serving = current() ? current()->version : -1;
  for (const auto& [version, path] : candidates) {
    if (version <= serving) break;  // only newer versions replace the one serving
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) continue;  // the folder exists, the file not yet
    const int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      Seen& seen = seen_[version];
      if (seen.status.state == "END" && seen.mtime == mtime && seen.size == st.st_size) continue;  // failed, unchanged
      seen.mtime = mtime, seen.size = st.st_size;
      seen.status = {version, "LOADING", "OK", ""};
    }
    // The log is written outside the lock: it may ask for current().
    std::string message;
    bool loaded = false;
    try {
      auto servable = load(version, path);
      std::lock_guard<std::mutex> lock(mutex_);
      if (current_) seen_[current_->version].status = {current_->version, "END", "OK", ""};  // unloaded
      current_ = std::move(servable);
      seen_[version].status = {version, "AVAILABLE", "OK", ""};
      message = fmt::format("serving version {} ({})", version, path);
      loaded = true;
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_[version].status = {version, "END", "UNKNOWN", e.what()};
      message = fmt::format("version {} failed to load: {}", version, e.what());
    }
    if (log_) log_(message);
    if (loaded) return;
  }
}

void ModelStore::poll_loop(double seconds) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    stop_cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stop_; });
    if (stop_) return;
    lock.unlock();
    scan();
    lock.lock();
  }
}

}  // namespace nn::serving::detail
