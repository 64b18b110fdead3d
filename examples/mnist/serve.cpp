// mnist serve: the prediction server (nn::serving) for a saved model or a directory of versions.
#include <signal.h>

#include <cstdlib>

#include <fmt/format.h>
#include <nn/nn.hpp>
#include <nn/serving/server.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "model_files.hpp"

namespace mnist {

CLI::App* add_serve_command(CLI::App& app, ServeOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve predictions over HTTP: TF Serving's REST API, KServe v2, the seeds' JSON and form, a drawing page");
  auto* file = cmd->add_option("--model-file", o.model_file, "A model saved by 'mnist train', or an ONNX file (.onnx) (served as version 1)");
  auto* dir = cmd->add_option("--model-dir", o.model_dir, "Numbered versions, DIR/1/model.nn, DIR/2/model.nn, ... (or "
                                                          "model.onnx; the highest is served; new ones are picked up)");
  file->excludes(dir);
  cmd->add_option("--host", o.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", o.port, "Port (0: any free port)")->check(integer_in(0, 65535))->capture_default_str();
  cmd->add_option("--model-name", o.model_name, "The model's name in the URLs")->capture_default_str();
  cmd->add_option("--api-key", o.api_key, "Require this key (Authorization: Bearer KEY or X-Api-Key: KEY); "
                                          "also from NN_API_KEY");
  add_device_option(cmd, o.device);
  add_gpu_options(cmd, o.gpu);
  cmd->add_option("--threads", o.threads, "Worker threads for requests with a body (predictions)")->check(integer_in(1, 1024))->capture_default_str();
  cmd->add_flag("--no-batching", o.no_batching, "Run each request alone instead of batching requests that arrive together");
  cmd->add_option("--max-batch-size", o.max_batch_size, "Rows in one forward pass")->check(integer_in(1, 1 << 16))->capture_default_str();
  cmd->add_option("--batch-timeout-us", o.batch_timeout_us, "How long a batch waits for more requests")
      ->check(integer_in(0, 10'000'000))
      ->capture_default_str();
  cmd->add_option("--max-enqueued", o.max_enqueued, "Rows waiting for the model before requests get 503")
      ->check(integer_in(1, 1 << 24))
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body")->check(integer_in(1, 1 << 30))->capture_default_str();
  cmd->add_option("--max-instances", o.max_instances, "Most instances in one request")->check(integer_in(1, 1 << 20))->capture_default_str();
  cmd->add_option("--max-image-pixels", o.max_image_pixels, "Largest image, in pixels")
      ->check(integer_in(1, int64_t{1} << 32))
      ->capture_default_str();
  cmd->add_option("--image-transform", o.image_transform,
                  "How an uploaded image becomes the model's input: mnist (a digit brought into MNIST's 28x28 form) "
                  "or none (image files refused)")
      ->check(CLI::IsMember({"mnist", "none"}))
      ->capture_default_str();
  cmd->add_option("--max-decoding-pixels", o.max_decoding_pixels,
                  "Pixels of uploaded images decoded at once, all requests together (then a request waits up "
                  "to a second, then gets 503)")
      ->check(integer_in(1, int64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--timeout", o.timeout, "Seconds for a request's head from its first byte, for its body, for taking an "
                                          "answer, and for a kept-alive connection to idle")
      ->check(integer_in(1, 3600))
      ->capture_default_str();
  cmd->add_option("--max-connections", o.max_connections, "Connections open at once; one more is answered 503")
      ->check(integer_in(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--max-connections-per-client", o.max_connections_per_client,
                  "Connections open at once from one client address")
      ->check(integer_in(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--poll-seconds", o.poll_seconds, "How often --model-dir is checked for new versions")
      ->check(number_in(0.0, 3600.0, true))
      ->capture_default_str();
  return cmd;
}

int run_serve(const ServeOptions& o) {
  apply_gpu_options(o.gpu);
  if (o.model_file.empty() == o.model_dir.empty()) throw UsageError("give --model-file or --model-dir");
  std::string key = o.api_key;
  if (key.empty())
    if (const char* env = std::getenv("NN_API_KEY")) key = env;
  // SIGINT and SIGTERM are taken by this thread (sigwait) to stop the server cleanly; every thread
  // started from here inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  nn::serving::Server server(nn::serving::ServerOptions()
                                 .model_file(o.model_file)
                                 .model_dir(o.model_dir)
                                 .model_loader(load_model_file)
                                 .model_name(o.model_name)
                                 .host(o.host)
                                 .port(static_cast<int>(o.port))
                                 .api_key(key)
                                 .threads(static_cast<int>(o.threads))
                                 .device(nn::parse_device(o.device))
                                 .batching(!o.no_batching)
                                 .max_batch_size(o.max_batch_size)
                                 .batch_timeout_us(o.batch_timeout_us)
                                 .max_enqueued(o.max_enqueued)
                                 .max_body_bytes(o.max_body_bytes)
                                 .max_instances(o.max_instances)
                                 .max_image_pixels(o.max_image_pixels)
                                 .max_decoding_pixels(o.max_decoding_pixels)
                                 .image_transform(o.image_transform)
                                 .timeout_seconds(static_cast<int>(o.timeout))
                                 .max_connections(o.max_connections)
                                 .max_connections_per_client(o.max_connections_per_client)
                                 .poll_seconds(o.poll_seconds));
  const int port = server.start();
  fmt::print("listening on http://{}:{}/ (open it in a browser to draw a digit)\n", o.host, port);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  fmt::print(stderr, "mnist serve: stopping ({})\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.stop();
  return 0;
}

}  // namespace mnist
