// nn on a GPU, the figures benchmarks/pytorch_gpu.py measures for PyTorch eager on the same GPU:
// training images/s of the seeds' cnn (batch 50) and the mlp (batch 128) with the training images
// already on the GPU, batch-1 inference latency (an image on the GPU to its scores on the host), and
// the tool's `--model fast` recipe: the training time of its one epoch, and its test accuracy.
//
//   bench_gpu DATA_DIR [SECONDS] [--precision bf16] [--cudnn-benchmark]
//
// Prints `nn KEY VALUE` lines. Each model must learn before it is timed (its loss over the timed
// steps below its starting loss), and batch-1 scores must equal the batched ones; a run on a build or
// machine without a CUDA device says so and exits 77.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nn/nn.hpp>

#include "../examples/mnist/models.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

nn::Tensor scaled(const nn::Tensor& bytes) {  // (k, 28, 28) uint8 on the device -> (k, 1, 28, 28) floats
  return (bytes.to(nn::kFloat32) * (1.0f / 255.0f)).reshape({bytes.dim(0), 1, 28, 28});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_gpu DATA_DIR [SECONDS] [--precision bf16] [--cudnn-benchmark]\n");
    return 2;
  }
  double seconds = 3.0;
  nn::DType precision = nn::kFloat32;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--precision" && i + 1 < argc && std::string(argv[i + 1]) == "bf16") {
      precision = nn::kBFloat16;
      ++i;
    } else if (a == "--cudnn-benchmark") {
      nn::cuda::set_cudnn_benchmark(true);
    } else {
      seconds = std::stod(a);
    }
  }
  if (!nn::cuda::is_available()) {
    std::printf("bench_gpu: skipped: %s\n", nn::cuda::unavailable_reason().c_str());
    return 77;
  }
  const nn::Device gpu = nn::Device::cuda(0);
  fmt::print("nn gpu {}\n", nn::cuda::device_name(0));
  fmt::print("nn libraries {}\n", nn::cuda::library_versions());
  fmt::print("nn tf32 convolutions {} matmul {}; precision {}; cudnn {}\n", nn::cuda::allow_tf32_convolutions(),
             nn::cuda::allow_tf32_matmul(), nn::to_string(precision),
             nn::cuda::cudnn_benchmark() ? "benchmark" : "heuristics");
  const nn::data::Mnist mnist = nn::data::load_mnist(argv[1]);
  const nn::Tensor test_x = scaled(mnist.test_images.to(gpu));

  for (const auto& [kind, batch] : std::vector<std::pair<std::string, int64_t>>{{"cnn", 50}, {"mlp", 128}}) {
    nn::manual_seed(1);
    nn::Sequential model = mnist::make_model(kind);
    model.to(gpu);
    model.compile(std::make_shared<nn::Adam>(1e-3f), "sparse_categorical_crossentropy", {});
    auto train = nn::data::Dataset::device_batches(mnist.train_images, mnist.train_labels, gpu, batch, true, 42, scaled)
                     .repeat();
    auto fit_steps = [&](int64_t steps) {
      return model.fit(train, nn::FitOptions().epochs(1).steps_per_epoch(steps).verbose(0).precision(precision))
          .history.at("loss")
          .back();
    };
    const double first = fit_steps(20);  // warm-up: algorithms chosen, memory cached
    int64_t steps = 0;
    double elapsed = 0, last = 0;
    const auto t0 = Clock::now();
    while (elapsed < seconds) {
      last = fit_steps(200);  // fit reads its logs only at the epoch's end: the GPU runs ahead
      steps += 200;
      elapsed = since(t0);
    }
    if (!(last < first)) {
      std::fprintf(stderr, "bench_gpu: %s did not learn (loss %.4f -> %.4f)\n", kind.c_str(), first, last);
      return 1;
    }
    fmt::print("nn {} b{} train_images_per_s {:.0f}\n", kind, batch, static_cast<double>(steps * batch) / elapsed);
    fmt::print("nn {} train_loss {:.4f} -> {:.4f}\n", kind, first, last);
    // Batch 1: each image's scores alone equal its scores in a batch, then the latency.
    const std::vector<float> together = model.predict(test_x.slice(0, 100), 100).to(nn::Device::cpu()).to_vector();
    for (int64_t i = 0; i < 100; i += 10) {
      const std::vector<float> alone = model.predict(test_x.slice(i, i + 1), 1).to(nn::Device::cpu()).to_vector();
      for (size_t c = 0; c < alone.size(); ++c)
        if (!(std::fabs(alone[c] - together[static_cast<size_t>(i) * alone.size() + c]) <= 1e-3f)) {
          std::fprintf(stderr, "bench_gpu: %s scores image %ld differently alone\n", kind.c_str(), static_cast<long>(i));
          return 1;
        }
    }
    std::vector<double> latency;
    for (int i = 0; i < 300; ++i) {
      const nn::Tensor one = test_x.slice(i % 1000, i % 1000 + 1);
      const auto t1 = Clock::now();
      const nn::Tensor scores = model.predict(one, 1).to(nn::Device::cpu());
      latency.push_back(since(t1) * 1e6);
      if (scores.numel() != 10) return 1;
    }
    std::sort(latency.begin(), latency.end());
    fmt::print("nn {} infer_b1_latency_us median {:.1f} p90 {:.1f}\n", kind, latency[latency.size() / 2],
               latency[latency.size() * 9 / 10]);
  }

  // The tool's fast recipe (examples/mnist/models.cpp): one epoch, batch 128, Adam 0.02 with a
  // one-cycle schedule, label smoothing 0.1, 55,000 images (5,000 held out, as the tool holds them).
  for (int run = 0; run < 3; ++run) {
    nn::manual_seed(42 + static_cast<uint64_t>(run));
    nn::Sequential fast = mnist::make_model("fast");
    fast.to(gpu);
    const mnist::Defaults d = mnist::defaults_for("fast");
    const int64_t n_train = 55000, steps = (n_train + d.batch_size - 1) / d.batch_size;
    auto opt = std::make_shared<nn::Adam>(d.lr);
    opt->set_schedule(nn::OneCycle(d.lr, steps));
    fast.compile(opt, nn::SparseCategoricalCrossentropy(nn::CrossentropyOptions().label_smoothing(static_cast<float>(d.label_smoothing))),
                 {"accuracy"});
    auto train = nn::data::Dataset::device_batches(mnist.train_images.slice(0, n_train), mnist.train_labels.slice(0, n_train),
                                                   gpu, d.batch_size, true, 42 + static_cast<uint64_t>(run), scaled);
    if (run == 0) {  // a first, untimed pass: cuDNN's algorithms chosen, memory cached, kernels loaded
      nn::Sequential warm = mnist::make_model("fast");
      warm.to(gpu);
      warm.compile(std::make_shared<nn::Adam>(d.lr), "sparse_categorical_crossentropy", {});
      warm.fit(train, nn::FitOptions().epochs(1).steps_per_epoch(50).verbose(0).precision(precision));
      nn::backend_for(gpu).synchronize();
    }
    const auto t0 = Clock::now();
    fast.fit(train, nn::FitOptions().epochs(1).verbose(0).precision(precision));
    nn::backend_for(gpu).synchronize();
    const double trained = since(t0);
    const double accuracy =
        fast.evaluate(nn::data::Dataset::device_batches(mnist.test_images, mnist.test_labels, gpu, 1000, false,
                                                        std::nullopt, scaled))
            .at("accuracy");
    fmt::print("nn fast run {} train_seconds {:.3f} test_accuracy {:.4f}\n", run, trained, accuracy);
  }
  return 0;
}
