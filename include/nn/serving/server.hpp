#pragma once
// A prediction server for MNIST models (library target nn::serving; `mnist serve` runs it):
//
//   TensorFlow Serving's REST API   GET  /v1/models/NAME[/versions/N][/metadata]
//                                   POST /v1/models/NAME[/versions/N]:predict
//   KServe's Open Inference v2      GET  /v2, /v2/health/live, /v2/health/ready,
//                                        /v2/models/NAME[/versions/N][/ready]
//                                   POST /v2/models/NAME[/versions/N]/infer
//   the seeds' clients              POST /  JSON {"image": [784 numbers]} or a multipart form with
//                                           the image file in the field "images"
//   a page to draw a digit on       GET  /
//   the model's training report     GET  /report (report.html beside the served model file, as
//                                        `mnist train --report` writes it; 404 when there is none)
//   health and metrics              GET  /healthz, /metrics (Prometheus)
//
// The HTTP layer (routing, limits, JSON errors with TF Serving's status codes), the servables (the
// model versions, swapped in as new ones appear) and the batcher (dynamic batching, one forward
// pass for requests that arrive together) are kept apart; a request thread never runs the model.
//
//   nn::serving::Server server(nn::serving::ServerOptions().model_file("model.nn").port(0));
//   int port = server.start();     // serves on background threads
//   ...
//   server.stop();
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "nn/arg.hpp"
#include "nn/device.hpp"
#include "nn/model/model.hpp"

namespace nn::serving {

// Reads a model file onto a device; the server's default is nn::load_model. A program that links
// nn::onnx passes one that also reads ONNX files (as `mnist serve` does).
using ModelLoader = std::function<Model(const std::string& path, Device device)>;

class ServerOptions {
  NN_ARG(std::string, model_file);        // one model, served as version 1
  NN_ARG(std::string, model_dir);         // or numbered versions: DIR/1/model.nn, DIR/2/model.nn, ...
                                          // (model.onnx where a version has no model.nn)
  NN_ARG(ModelLoader, model_loader);      // empty: nn::load_model
  NN_ARG(std::string, model_name) = "mnist";
  NN_ARG(std::string, host) = "127.0.0.1";
  NN_ARG(int, port) = 8501;               // 0: any free port (start() returns it)
  NN_ARG(std::string, api_key);           // when set, required on all but the page and health
  NN_ARG(int, threads) = 8;               // worker threads for requests with a body (predictions)
  NN_ARG(int64_t, max_connections) = 512;             // open at once; one more is answered 503
  NN_ARG(int64_t, max_connections_per_client) = 128;  // from one client address
  NN_ARG(int64_t, max_body_bytes) = int64_t{10} << 20;
  NN_ARG(int64_t, max_instances) = 1024;  // per request
  NN_ARG(int64_t, max_image_pixels) = 40'000'000;
  // How an uploaded image file becomes one input of the model (the model's own input shape says
  // how many numbers a JSON instance holds): "mnist", vision::to_mnist (a person's photo or
  // drawing of a digit in MNIST's 28 x 28 form), for models that take 784 values; "none": image
  // files are refused, for models whose inputs are not images.
  NN_ARG(std::string, image_transform) = "mnist";
  // Pixels of uploaded images decoded at once, all requests together (each image holds its share
  // while it is decoded and brought to 28 x 28): a request waits up to a second for its share,
  // then gets 503. About 11 bytes a pixel at the peak (RGBA and to_mnist's planes): 64 MP is
  // some 700 MB.
  NN_ARG(int64_t, max_decoding_pixels) = 64'000'000;
  // Whole-request deadlines: a request's head must arrive within this of its first byte, its
  // body within this after the head, an answer be taken within this; also the keep-alive idle time.
  NN_ARG(int, timeout_seconds) = 5;
  NN_ARG(Device, device) = Device::cpu(); // where the models run (the batcher's stream is there)
  NN_ARG(bool, batching) = true;          // dynamic batching (TF Serving's --enable_batching)
  NN_ARG(int64_t, max_batch_size) = 64;   // rows in one forward pass
  NN_ARG(int64_t, batch_timeout_us) = 1000;  // how long a batch waits for more requests
  NN_ARG(int64_t, max_enqueued) = 4096;   // rows waiting for the model; beyond them: 503
  NN_ARG(double, poll_seconds) = 1.0;     // how often model_dir is checked for new versions
  // Where the access log and events go (one line each); default: stderr.
  NN_ARG(std::function<void(const std::string&)>, log);
};

class Server {
 public:
  // Loads the model (or the highest version that loads); throws std::runtime_error naming the
  // file when it cannot.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving on background threads; returns the port. Throws if it cannot bind.
  int start();
  // Blocks until stop() is called (from another thread or a signal handler's thread).
  void wait();
  // Stops accepting connections, answers the requests in flight, then closes every connection.
  void stop();
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nn::serving
