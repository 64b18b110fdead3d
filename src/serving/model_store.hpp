#pragma once
// The servables: the loaded model versions, as TF Serving keeps them. A model file is served as
// version 1; a base directory holds numbered versions (D/1/model.nn, D/2/model.nn, ...), of which
// the highest that loads is served. A poller thread looks for new versions; a new one is loaded
// and checked completely before it is swapped in (requests in flight finish on the old one), and
// one that fails to load is reported in the status while the previous version keeps serving. A
// version whose file changes after a failed load (a copy that was still being written) is tried
// again.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nn/model/model.hpp"

namespace nn::serving::detail {

struct Servable {
  int64_t version = 0;
  std::string path;              // the file it was loaded from
  std::shared_ptr<Model> model;  // used by the batcher's thread only
  Shape input_shape;                  // without the batch dimension
  int64_t classes = 0;
};

struct VersionStatus {
  int64_t version = 0;
  std::string state;  // TF Serving's ModelVersionStatus.State: LOADING, AVAILABLE, END
  std::string error_code = "OK";
  std::string error_message;
};

class ModelStore {
 public:
  using Log = std::function<void(const std::string&)>;  // called with no lock held
  // Exactly one of file and dir. The first load happens here: with a file it must succeed
  // (std::runtime_error otherwise); with a directory, at least one version must load.
  // Models are loaded onto `device`.
  using Loader = std::function<Model(const std::string& path, Device device)>;
  // loader: how a file is read (empty: load_model).
  ModelStore(std::string file, std::string dir, double poll_seconds, Log log, Device device = Device::cpu(),
             Loader loader = {});
  ~ModelStore();
  ModelStore(const ModelStore&) = delete;
  ModelStore& operator=(const ModelStore&) = delete;

  std::shared_ptr<const Servable> current() const;
  std::vector<VersionStatus> statuses() const;  // newest first
  // Looks for new versions now (the poller calls it every poll_seconds).
  void scan();

 private:
  struct Seen {
    int64_t mtime = 0, size = -1;
    VersionStatus status;
  };
  std::shared_ptr<const Servable> load(int64_t version, const std::string& path) const;
  void poll_loop(double seconds);

  std::string file_, dir_;
  Log log_;
  Device device_;
  Loader loader_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Servable> current_;
  std::map<int64_t, Seen> seen_;
  std::mutex scan_mutex_;
  std::thread poller_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
};

}  // namespace nn::serving::detail
