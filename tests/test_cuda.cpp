// The CUDA backend at the model level, against the CPU: one training step of each of the tool's
// models, fit with the data kept on the GPU, save on one device and load on the other, the server's
// batcher on the GPU, errors as exceptions (a bad label, an allocation larger than the GPU), and
// bfloat16 mixed precision. Every case skips, naming the reason, where there is no CUDA device; the
// ops one by one are test_backend_ops.cpp's. ctest label "gpu".
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <httplib.h>

#include <cmath>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mnist/models.hpp"
#include "nn/nn.hpp"
#include "nn/serving/server.hpp"
#include "skip.hpp"
#include "temp_dir.hpp"

using namespace nn;

#define NN_REQUIRE_GPU() \
  if (!cuda::is_available()) NN_SKIP(cuda::unavailable_reason())

namespace {

const Device kGpu = Device::cuda(0);

// n MNIST-shaped images with a pattern per class, and their labels.
void digits(int64_t n, Tensor& x, Tensor& y, uint64_t seed) {
  Generator g(seed);
  std::vector<float> xs(static_cast<size_t>(n * 784));
  std::vector<int64_t> ys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 10;
    ys[static_cast<size_t>(i)] = c;
    for (int64_t p = 0; p < 784; ++p)
      xs[static_cast<size_t>(i * 784 + p)] = std::clamp(((p / 28) / 3 == c ? 0.8f : 0.1f) + 0.1f * g.normal(), 0.0f, 1.0f);
  }
  x = Tensor::from_vector({n, 1, 28, 28}, xs);
  y = Tensor::from_vector({n}, ys);
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float tol, const std::string& what) {
  REQUIRE_MESSAGE(got.size() == want.size(), what);
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= tol + tol * std::fabs(want[i]))) {
      FAIL_CHECK(what << ": element " << i << " is " << got[i] << " on the GPU, " << want[i] << " on the CPU");
      return;
    }
}

struct Fp32 {  // TF32 off: the GPU's float32 results are then comparable to the CPU's
  Fp32() {
    cuda::set_allow_tf32_convolutions(false);
    cuda::set_allow_tf32_matmul(false);
  }
  ~Fp32() { cuda::set_allow_tf32_convolutions(true); }
};

}  // namespace

TEST_CASE("cuda: one training step of each of the tool's models agrees with the CPU's") {
  NN_REQUIRE_GPU();
  const Fp32 fp32;
  Tensor x, y;
  digits(32, x, y, 3);
  for (const std::string kind : {"softmax", "mlp", "cnn", "fast", "best"}) {
    CAPTURE(kind);
    std::vector<std::vector<float>> after[2];
    Logs logs[2];
    int slot = 0;
    for (const Device d : {Device::cpu(), kGpu}) {
      manual_seed(9);
      Sequential m = mnist::make_model(kind);
      m.to(d);
      m.compile(Adam(1e-3), "sparse_categorical_crossentropy", {"accuracy"});
      manual_seed(10);  // the same dropout masks (counter-based) on both devices
      logs[slot] = m.train_on_batch(x, y);
      for (const Tensor& w : m.get_weights()) after[slot].push_back(w.to_vector());
      ++slot;
    }
    CHECK(logs[1].at("loss") == doctest::Approx(logs[0].at("loss")).epsilon(1e-4));
    CHECK(logs[1].at("accuracy") == logs[0].at("accuracy"));
    REQUIRE(after[0].size() == after[1].size());
    for (size_t i = 0; i < after[0].size(); ++i) expect_close(after[1][i], after[0][i], 1e-4f, kind + " weight " + std::to_string(i));
  }
}

TEST_CASE("cuda: fit(x, y) keeps the data on the GPU and follows the CPU's run, saved there and loaded here") {
  NN_REQUIRE_GPU();
  const Fp32 fp32;
  const test::TempDir dir("nn_cuda");
  Tensor x, y;
  digits(300, x, y, 5);
  History h[2];
  Tensor predicted[2];
  int slot = 0;
  for (const Device d : {Device::cpu(), kGpu}) {
    manual_seed(21);
    Sequential m = mnist::make_model("fast");
    m.to(d);
    m.compile(Adam(3e-3), "sparse_categorical_crossentropy", {"accuracy"});
    h[slot] = m.fit(x, y, FitOptions().epochs(2).batch_size(32).validation_split(0.2).seed(4).verbose(0));
    for (const Variable& p : m.parameters()) REQUIRE(p.device() == d);
    predicted[slot] = m.predict(x.slice(0, 40));
    CHECK(predicted[slot].device() == Device::cpu());
    m.save(dir / ("model_" + std::to_string(slot) + ".nn"));
    ++slot;
  }
  for (size_t e = 0; e < 2; ++e)
    CHECK(h[1].history.at("val_loss")[e] == doctest::Approx(h[0].history.at("val_loss")[e]).epsilon(1e-3));
  expect_close(predicted[1].to_vector(), predicted[0].to_vector(), 1e-3f, "predictions");
  // The model trained on the GPU, loaded on the CPU, predicts what it predicted there; and back.
  Sequential on_cpu = load_model(dir / "model_1.nn", Device::cpu());
  expect_close(on_cpu.predict(x.slice(0, 40)).to_vector(), predicted[1].to_vector(), 1e-4f, "GPU model on the CPU");
  Sequential on_gpu = load_model(dir / "model_0.nn", kGpu);
  expect_close(on_gpu.predict(x.slice(0, 40)).to_vector(), predicted[0].to_vector(), 1e-4f, "CPU model on the GPU");
}

TEST_CASE("cuda: a bad label is an exception at the next synchronization, and the GPU keeps working") {
  NN_REQUIRE_GPU();
  const Tensor logits = Tensor::zeros({3, 10}, kGpu);
  const Tensor labels = Tensor::from_vector({3}, std::vector<int64_t>{1, 12, 3}).to(kGpu);
  CHECK_THROWS_WITH_AS(softmax_cross_entropy(Variable(logits), labels).value().item(),
                       doctest::Contains("label 12 of row 1 is not a class index in [0, 10)"), std::out_of_range);
  // The device is still usable: the error was recorded, not a fault.
  const Tensor good = Tensor::from_vector({3}, std::vector<int64_t>{1, 2, 3}).to(kGpu);
  CHECK(softmax_cross_entropy(Variable(logits), good).value().item() == doctest::Approx(std::log(10.0)));
}

TEST_CASE("cuda: an allocation larger than the GPU is std::bad_alloc naming cudaMalloc, and nothing breaks") {
  NN_REQUIRE_GPU();
  try {
    Tensor huge({int64_t{1} << 40}, kGpu);  // 4 TiB
    FAIL("allocated 4 TiB on the GPU");
  } catch (const std::bad_alloc& e) {
    CHECK(std::string(e.what()).find("cudaMalloc") != std::string::npos);
  }
  CHECK(Tensor::ones({1000}, kGpu).to_vector()[999] == 1.0f);
}

TEST_CASE("cuda: the server's batcher runs its batches on the GPU and answers as the CPU") {
  NN_REQUIRE_GPU();
  const test::TempDir dir("nn_cuda");
  manual_seed(11);
  Sequential m = mnist::make_model("cnn");
  m.compile("adam", "sparse_categorical_crossentropy");
  m.save(dir / "model.nn");
  std::vector<float> pixels(784);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i % 29) / 28.0f;
  const nlohmann::json body = {{"instances", nlohmann::json::array({pixels, pixels, pixels})}};
  auto served = [&](Device device) {
    serving::Server server(serving::ServerOptions().model_file(dir / "model.nn").port(0).device(device).threads(2));
    const int port = server.start();
    httplib::Client c("127.0.0.1", port);
    auto r = c.Post("/v1/models/mnist:predict", body.dump(), "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    server.stop();
    return nlohmann::json::parse(r->body)["predictions"];
  };
  const auto cpu = served(Device::cpu()), gpu = served(kGpu);
  REQUIRE(cpu.size() == 3);
  for (size_t i = 0; i < 3; ++i) expect_close(gpu[i].get<std::vector<float>>(), cpu[i].get<std::vector<float>>(), 1e-3f, "served");
}

TEST_CASE("cuda: bfloat16 mixed precision trains with float32 master weights") {
  NN_REQUIRE_GPU();
  Tensor x, y;
  digits(400, x, y, 8);
  manual_seed(3);
  Sequential m = mnist::make_model("fast");
  m.to(kGpu);
  m.compile(Adam(3e-3), "sparse_categorical_crossentropy", {"accuracy"});
  const History h = m.fit(x, y, FitOptions().epochs(3).batch_size(50).precision(kBFloat16).verbose(0));
  for (const Tensor& w : m.get_weights()) CHECK(w.dtype() == kFloat32);
  CHECK(h.history.at("accuracy").back() > 0.9);  // the patterns are easy: it learns in bfloat16 too
}
