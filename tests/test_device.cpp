// The strict test device (Device::test(), src/backend/test): the CPU's kernels on memory the host
// may not read, streams that count work as done only when the host waits, and a caching allocator
// that poisons freed blocks and holds them until their stream has passed. The model-level paths
// (fit with each callback, evaluate, predict, save and load across devices, the pipeline, the
// server's batcher and a served request) run on it here and must agree bit for bit with the CPU:
// what passes here reaches device memory only through the backend's copies. ctest label
// "test-device".
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "nn/nn.hpp"
#include "backend/stream_allocator.hpp"
#include "nn/serving/server.hpp"
#include "temp_dir.hpp"

using namespace nn;
using json = nlohmann::json;

namespace {

const Device kTest = Device::test();

// n examples of 1x8x8 "images" in [0, 1] whose class (of 3) is the brightest third of the image.
void three_bars(int64_t n, Tensor& x, Tensor& y, uint64_t seed) {
  Generator g(seed);
  std::vector<float> xs(static_cast<size_t>(n * 64));
  std::vector<int64_t> ys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % 3;
    for (int64_t p = 0; p < 64; ++p) {
      const bool bright = (p % 8) / 3 == c || ((p % 8) == 7 && c == 2);
      xs[static_cast<size_t>(i * 64 + p)] = std::clamp((bright ? 0.8f : 0.2f) + 0.2f * g.normal(), 0.0f, 1.0f);
    }
    ys[static_cast<size_t>(i)] = c;
  }
  x = Tensor::from_vector({n, 1, 8, 8}, xs);
  y = Tensor::from_vector({n}, ys);
}

// Every layer kind the tool's models use: augmentation, convolution with a fused activation, batch
// normalization (moving statistics), max and average pooling, dropout (counter-based masks).
Sequential conv_model(Device device) {
  manual_seed(7);
  Sequential m("conv");
  m.to(device);  // built there: the weights are created on the device
  m.add(Input({1, 8, 8}));
  m.add<RandomRotation>(RandomRotationOptions(0.02f));  // augmentation: counter-based draws, host-side ops
  m.add<RandomTranslation>(RandomTranslationOptions(0.05f, 0.05f));
  m.add<RandomZoom>(RandomZoomOptions(0.05f));
  m.add<RandomContrast>(RandomContrastOptions(0.2f).value_max(1.0f));
  m.add<Conv2D>(Conv2DOptions(4, 3).activation("relu").padding("same"));
  m.add<BatchNormalization>();
  m.add<MaxPool2D>(2);
  m.add<AveragePooling2D>(AveragePooling2DOptions(2).padding("same"));
  m.add<Flatten>();
  m.add<Dropout>(0.25);
  m.add<Dense>(16, "relu");
  m.add<Dense>(3, "softmax");
  m.compile(Adam(0.01), "sparse_categorical_crossentropy", {"accuracy", "sparse_top_k_categorical_accuracy"});
  return m;
}

std::vector<std::vector<float>> weights_of(const Sequential& m) {
  std::vector<std::vector<float>> out;
  for (const Tensor& w : m.get_weights()) out.push_back(w.to_vector());
  return out;
}

// Bit-identical, NaN included (memcmp, not ==).
void check_identical(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  INFO(what);
  REQUIRE(a.size() == b.size());
  CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
void check_identical(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) check_identical(a[i], b[i], "weight " + std::to_string(i));
}
void check_identical(const Logs& a, const Logs& b) {
  REQUIRE(a.size() == b.size());
  for (const auto& [k, v] : a) {
    INFO(k);
    REQUIRE(b.count(k));
    CHECK(std::memcmp(&v, &b.at(k), sizeof(double)) == 0);
  }
}

// What one run of fit with every built-in callback leaves behind.
struct Run {
  History history;
  std::vector<std::vector<float>> weights;
  Logs evaluated;
  std::vector<float> predicted;
  std::string csv;
  std::string checkpoint;
};

Run train(Device device, const test::TempDir& dir, const std::string& tag) {
  Tensor x, y, vx, vy;
  three_bars(96, x, y, 1);
  three_bars(30, vx, vy, 2);
  Sequential m = conv_model(device);
  Run r;
  r.csv = dir / (tag + ".csv");
  r.checkpoint = dir / (tag + ".nn");
  std::vector<CallbackPtr> callbacks{
      std::make_shared<ProgressBar>(ProgressBarOptions(1).out(std::tmpfile())),
      std::make_shared<TerminateOnNaN>(),
      std::make_shared<ModelCheckpoint>(r.checkpoint, ModelCheckpointOptions().save_best_only(true)),
      std::make_shared<EarlyStopping>(EarlyStoppingOptions().patience(5)),
      std::make_shared<ReduceLROnPlateau>(ReduceLROnPlateauOptions().patience(1)),
      std::make_shared<CSVLogger>(r.csv),
      std::make_shared<TensorBoard>(dir / (tag + "_logs"), 2),
      std::make_shared<LearningRateScheduler>(
          LearningRateSchedulerOptions([](int epoch, double lr) { return epoch == 0 ? lr : lr * 0.9; })),
      std::make_shared<LambdaCallback>(LambdaCallbackOptions().on_batch_end([](int64_t, const Logs& logs) {
        CHECK(logs.count("loss"));  // a callback that asks for batch logs gets them
      })),
  };
  // The pipeline: shuffled, batched and prefetched on a thread; x and y live on the host and fit
  // copies each batch to the model's device.
  auto ds = data::Dataset::from_tensor_slices(x, y).shuffle(96, 3).batch(16).prefetch(2);
  r.history = m.fit(ds, FitOptions().epochs(3).validation_data(data::Dataset::from_tensor_slices(vx, vy).batch(10))
                            .callbacks(callbacks).verbose(0));
  // Trained where it was asked to be (else "identical to the CPU" would say nothing).
  for (const Variable& p : m.parameters()) REQUIRE(p.device() == device);
  for (const auto& [name, slots] : m.optimizer().state().slots)
    for (const Tensor& t : slots) REQUIRE(t.device() == device);
  r.weights = weights_of(m);
  r.evaluated = m.evaluate(vx, vy, 7);
  r.predicted = m.predict(vx, 8).to_vector();
  return r;
}

}  // namespace

TEST_CASE("the test device refuses host access: data() throws, copies cross") {
  Tensor t = Tensor::from_vector({3}, std::vector<float>{1, 2, 3}, kTest);
  CHECK(t.device() == kTest);
  CHECK_THROWS_WITH_AS(t.data(), doctest::Contains("device test, whose memory the host cannot read"),
                       std::logic_error);
  CHECK_THROWS_AS(t.raw_data(), std::logic_error);
  const Tensor labels = Tensor::zeros({2}, TensorOptions().dtype(kInt64).device(kTest));
  CHECK_THROWS_AS(labels.data<int64_t>(), std::logic_error);
  // Only copies read it: to_vector, item, to(cpu).
  CHECK(t.to_vector() == std::vector<float>{1, 2, 3});
  CHECK(t.slice(1, 2).item() == 2.0f);
  CHECK(t.to(Device::cpu()).data()[2] == 3.0f);
  CHECK(labels.to_vector<int64_t>() == std::vector<int64_t>{0, 0});
}

TEST_CASE("a stray host read of device memory fails on the test device, and not on the CPU") {
  // The same code, written the way code that forgets where its tensor lives is written.
  auto host_sum = [](const Tensor& t) {
    const float* p = t.data();
    float s = 0;
    for (int64_t i = 0; i < t.numel(); ++i) s += p[i];
    return s;
  };
  CHECK(host_sum(Tensor::ones({4})) == 4.0f);
  CHECK_THROWS_AS(host_sum(Tensor::ones({4}, kTest)), std::logic_error);
}

TEST_CASE("a stray host dereference of a device pointer faults on the test device") {
  // Beyond data(): the pages themselves are closed while no kernel or copy of the backend runs.
  const Tensor t = Tensor::full({4}, 2.0f, kTest);
  const float* device_pointer = t.data_ptr();  // for handing to kernels, never to read
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGSEGV, SIG_DFL);  // die of it, whoever else handles it in this process
    const volatile float v = device_pointer[0];
    (void)v;
    ::_exit(0);  // the read went through: the device is not strict
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
  // The backend's copy reads it.
  CHECK(t.to_vector() == std::vector<float>{2, 2, 2, 2});
  // A host tensor's pointer reads as ever.
  const Tensor h = Tensor::full({4}, 2.0f);
  CHECK(h.data_ptr()[3] == 2.0f);
}

TEST_CASE("ops check that their operands share a device and name both") {
  const Variable a(Tensor::ones({2, 3})), b(Tensor::ones({3, 2}, kTest));
  CHECK_THROWS_WITH_AS(matmul(a, b), doctest::Contains("matmul: operands on different devices: cpu (shape (2, 3)) and test"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(add(a, Variable(Tensor::ones({2, 3}, kTest))), doctest::Contains("cpu"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(linear(a, b, Variable()), doctest::Contains("linear"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(softmax_cross_entropy(Variable(Tensor::ones({2, 3}, kTest)), Tensor::zeros({2})),
                       doctest::Contains("softmax_cross_entropy: operands on different devices: test"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Tensor::ones({2}) + Tensor::ones({2}, kTest), std::invalid_argument);
}

TEST_CASE("a bad label on a device is raised at its next synchronization, with the CPU's message") {
  const std::vector<int64_t> labels{1, 7, 2};
  const Tensor logits = Tensor::zeros({3, 5});
  std::string cpu_message;
  try {
    softmax_cross_entropy(Variable(logits), Tensor::from_vector({3}, labels));
  } catch (const std::out_of_range& e) {
    cpu_message = e.what();
  }
  CHECK(cpu_message == "softmax_cross_entropy: label 7 of row 1 is not a class index in [0, 5)");
  // On the device the check runs with the kernels and nothing waits for it: no throw yet.
  const Variable loss = softmax_cross_entropy(Variable(logits.to(kTest)), Tensor::from_vector({3}, labels, kTest));
  CHECK_THROWS_WITH_AS(loss.value().item(), cpu_message.c_str(), std::out_of_range);
  // Raised once: the device goes on working.
  CHECK(Tensor::ones({2}, kTest).to_vector() == std::vector<float>{1, 1});
  // fit raises it when it next reads the device (the epoch's logs at the latest).
  Tensor x, y;
  three_bars(12, x, y, 4);
  std::vector<int64_t> bad = y.to_vector<int64_t>();
  bad[5] = 3;
  Sequential m = conv_model(kTest);
  CHECK_THROWS_WITH_AS(m.fit(x, Tensor::from_vector({12}, bad), FitOptions().epochs(1).verbose(0).shuffle(false)),
                       doctest::Contains("label 3 of row 5 is not a class index in [0, 3)"), std::out_of_range);
}

TEST_CASE("test-device streams: work counts as done when the host waits, with events and stream guards") {
  Backend& be = backend_for(kTest);
  StreamPtr s = be.new_stream();
  Event e(s);
  CHECK_FALSE(e.query());  // queued, not yet waited for
  e.synchronize();
  CHECK(e.query());
  Event later(s);
  CHECK_FALSE(later.query());
  be.synchronize();  // every stream of the device
  CHECK(later.query());
  CHECK(be.current_stream() == be.default_stream());
  {
    StreamGuard guard(s);
    CHECK(be.current_stream() == s);
    CHECK(backend_for(Device::cpu()).current_stream() == backend_for(Device::cpu()).default_stream());
  }
  CHECK(be.current_stream() == be.default_stream());
  // The CPU's streams are synchronous: every event has passed when recorded.
  CHECK(Event(backend_for(Device::cpu()).new_stream()).query());
}

TEST_CASE("the test device's allocator poisons freed blocks and reuses them only after their stream passed") {
  Backend& be = backend_for(kTest);
  be.synchronize();
  const float* first = nullptr;
  {
    Tensor t = Tensor::full({1000}, 5.0f, kTest);
    first = t.data_ptr();
  }
  // Freed, but the stream has not passed the free: a new tensor of that size gets other memory.
  Tensor second = Tensor::empty({1000}, kTest);
  CHECK(second.data_ptr() != first);
  // The freed block holds NaN now (read through the backend's copy, as a kernel would see it).
  float seen = 0.0f;
  be.copy_bytes_to_host(first, &seen, sizeof seen);  // synchronizes the stream, too
  CHECK(std::isnan(seen));
  // New memory is poisoned as well: a kernel that leaves its output unwritten shows.
  CHECK(std::isnan(second.slice(999, 1000).item()));
  // After the wait the block is free for reuse.
  Tensor third = Tensor::empty({1000}, kTest);
  CHECK(third.data_ptr() == first);
}

TEST_CASE("fit with every callback, evaluate and predict: bit-identical on the test device and the CPU") {
  const test::TempDir dir("nn_device");
  const Run cpu = train(Device::cpu(), dir, "cpu");
  const Run dev = train(kTest, dir, "test");
  check_identical(cpu.weights, dev.weights);
  REQUIRE(cpu.history.epochs.size() == dev.history.epochs.size());
  for (const auto& [key, values] : cpu.history.history) {
    INFO(key);
    const std::vector<double>& other = dev.history.history.at(key);
    REQUIRE(values.size() == other.size());
    CHECK(std::memcmp(values.data(), other.data(), values.size() * sizeof(double)) == 0);
  }
  check_identical(cpu.evaluated, dev.evaluated);
  check_identical(cpu.predicted, dev.predicted, "predict");
  CHECK(cpu.evaluated.at("accuracy") > 0.5);  // it learned something: the comparison is not of noise
  // The files callbacks wrote agree too.
  auto read = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  CHECK(read(cpu.csv) == read(dev.csv));
  CHECK(!read(cpu.csv).empty());
  const Sequential a = load_model(cpu.checkpoint), b = load_model(dev.checkpoint);
  check_identical(weights_of(a), weights_of(b));
}

TEST_CASE("a model saved on one device loads on the other and predicts the same") {
  const test::TempDir dir("nn_device");
  Tensor x, y;
  three_bars(12, x, y, 5);
  Sequential on_test = conv_model(kTest);
  on_test.train_on_batch(x, y);  // optimizer state too
  on_test.save(dir / "from_test.nn");
  Sequential on_cpu = load_model(dir / "from_test.nn");
  CHECK(on_cpu.device() == Device::cpu());
  check_identical(on_test.predict(x).to_vector(), on_cpu.predict(x).to_vector(), "test -> cpu");
  on_cpu.save(dir / "from_cpu.nn");
  Sequential back = load_model(dir / "from_cpu.nn", kTest);
  CHECK(back.device() == kTest);
  for (const Variable& p : back.parameters()) CHECK(p.device() == kTest);
  check_identical(on_cpu.predict(x).to_vector(), back.predict(x).to_vector(), "cpu -> test");
  // Both go on training in step: optimizer slots moved with the model.
  on_cpu.train_on_batch(x, y);
  back.train_on_batch(x, y);
  check_identical(weights_of(on_cpu), weights_of(back));
}

TEST_CASE("Sequential::to moves parameters, gradients and optimizer state, and back") {
  Tensor x, y;
  three_bars(12, x, y, 6);
  Sequential a = conv_model(Device::cpu()), b = conv_model(Device::cpu());
  a.train_on_batch(x, y);
  b.train_on_batch(x, y);
  b.to(kTest);  // mid-training, with Adam's m and v and the gradients of the last step
  for (const Variable& p : b.parameters()) {
    CHECK(p.device() == kTest);
    if (p.has_grad()) CHECK(p.grad().device() == kTest);
  }
  for (const auto& [name, slots] : b.optimizer().state().slots)
    for (const Tensor& t : slots) CHECK(t.device() == kTest);
  a.train_on_batch(x, y);
  b.train_on_batch(x, y);
  b.to(Device::cpu());
  a.train_on_batch(x, y);
  b.train_on_batch(x, y);
  check_identical(weights_of(a), weights_of(b));
  CHECK_THROWS_WITH_AS(a.to(Device::cuda(3)), doctest::Contains("no device cuda:3"), std::runtime_error);
}

TEST_CASE("the pipeline delivers batches of device tensors, and fit trains on them") {
  Tensor x, y;
  three_bars(48, x, y, 8);
  auto on_device = data::Dataset::from_tensor_slices(x.to(kTest), y.to(kTest)).shuffle(48, 1).batch(16).prefetch(1);
  auto on_host = data::Dataset::from_tensor_slices(x, y).shuffle(48, 1).batch(16).prefetch(1);
  // (A pass of its own: shuffle reshuffles each pass, as tf.data does, so fit's passes must be the
  // first ones of both datasets.)
  auto it = data::Dataset::from_tensor_slices(x.to(kTest), y.to(kTest)).batch(16).prefetch(1).iterator();
  const auto batch = it->next();
  REQUIRE(batch);
  CHECK(batch->x.device() == kTest);
  CHECK(batch->y.dtype() == kInt64);
  Sequential a = conv_model(kTest), b = conv_model(kTest);
  REQUIRE(a.parameters().front().device() == kTest);
  a.fit(on_device, FitOptions().epochs(2).verbose(0));
  b.fit(on_host, FitOptions().epochs(2).verbose(0));
  check_identical(weights_of(a), weights_of(b));
}

TEST_CASE("the server's batcher runs on the test device: a served request answers as on the CPU") {
  const test::TempDir dir("nn_device");
  manual_seed(11);
  Sequential m;
  m.add(Input({1, 28, 28}));
  m.add<Flatten>();
  m.add<Dense>(16, "relu");
  m.add<Dense>(10);  // scores: the server applies the softmax, on the device
  m.compile("adam", "sparse_categorical_crossentropy");
  m.save(dir / "model.nn");
  std::vector<float> pixels(784);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i % 29) / 28.0f;
  const json body = {{"instances", json::array({pixels, pixels})}};

  auto served = [&](Device device) {
    serving::Server server(serving::ServerOptions().model_file(dir / "model.nn").port(0).device(device).threads(2));
    const int port = server.start();
    httplib::Client c("127.0.0.1", port);
    auto r = c.Post("/v1/models/mnist:predict", body.dump(), "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    server.stop();
    return json::parse(r->body);
  };
  const json cpu = served(Device::cpu());
  // The served model's weights are new sizes to the test device: serving there allocates there.
  const int64_t before = backend_for(kTest).memory_stats().system_allocations;
  const json dev = served(kTest);
  CHECK(backend_for(kTest).memory_stats().system_allocations > before);
  CHECK(cpu == dev);
  CHECK(cpu["predictions"].size() == 2);
}

TEST_CASE("device_batches: the host pipeline's shuffled batches, gathered on the device, and fit(x, y) on them") {
  Tensor x, y;
  three_bars(50, x, y, 4);
  const auto scaled = [](const Tensor& b) { return b * 2.0f; };
  const auto on_device = data::Dataset::device_batches(x, y, kTest, 8, true, 17, scaled);
  const auto on_host = data::Dataset::from_tensor_slices(x, y).shuffle(50, 17).batch(8);
  for (int pass = 0; pass < 2; ++pass) {  // reshuffled each pass, the same way
    auto a = on_device.iterator(), b = on_host.iterator();
    int batches = 0;
    for (;;) {
      auto da = a->next(), hb = b->next();
      REQUIRE(da.has_value() == hb.has_value());
      if (!da) break;
      ++batches;
      REQUIRE(da->x.device() == kTest);
      REQUIRE(da->y.device() == kTest);
      check_identical(da->x.to(Device::cpu()).to_vector(), (hb->x * 2.0f).to_vector(), "x");
      CHECK(da->y.to(Device::cpu()).to_vector<int64_t>() == hb->y.to_vector<int64_t>());
    }
    CHECK(batches == 7);
  }
  // fit(x, y) keeps the data on the model's device and trains as on the CPU, bit for bit.
  Sequential a = conv_model(kTest), b = conv_model(Device::cpu());
  const History ha = a.fit(x, y, FitOptions().epochs(2).batch_size(8).validation_split(0.2).seed(5).verbose(0));
  const History hb = b.fit(x, y, FitOptions().epochs(2).batch_size(8).validation_split(0.2).seed(5).verbose(0));
  check_identical(weights_of(a), weights_of(b));
  CHECK(ha.history.at("val_loss") == hb.history.at("val_loss"));
}

TEST_CASE("index_select takes rows on the device, and an index out of range is an error at once or at the next sync") {
  const Tensor x = Tensor::from_vector({4, 2}, std::vector<float>{0, 1, 10, 11, 20, 21, 30, 31});
  const Tensor picked = index_select(x.to(kTest), Tensor::from_vector({3}, std::vector<int64_t>{3, 0, 3}));
  CHECK(picked.device() == kTest);
  CHECK(picked.to(Device::cpu()).to_vector() == std::vector<float>{30, 31, 0, 1, 30, 31});
  CHECK_THROWS_WITH_AS(index_select(x, Tensor::from_vector({2}, std::vector<int64_t>{1, 4})),
                       "index_select: index 4 at 1 is out of range for 4 rows", std::out_of_range);
  const Tensor bad = Tensor::from_vector({2}, std::vector<int64_t>{-1, 2}).to(kTest);
  const Tensor queued = index_select(x.to(kTest), bad);  // queued; raised when the host waits
  CHECK_THROWS_AS(backend_for(kTest).synchronize(), std::out_of_range);
  CHECK_THROWS_AS(index_select(x, Tensor::from_vector({1}, std::vector<float>{1.0f})), std::invalid_argument);
}

TEST_CASE("a stream-ordered allocator that reuses on the freeing stream (the GPU's) waits only across streams") {
  // The CUDA backend's allocator mode, on the test device's streams: a block freed on the
  // allocating thread's stream is handed out again at once (the stream runs in order); one freed on
  // another stream only once that stream has passed the free; and past the bound it waits.
  Backend& be = backend_for(kTest);
  be.synchronize();
  int waits = 0;
  detail::StreamAllocator::System system{[](size_t bytes) { return std::malloc(bytes); },
                                         [](void* p, size_t) { std::free(p); }, nullptr,
                                         [&] {
                                           ++waits;
                                           be.synchronize();
                                         }};
  detail::StreamAllocator allocator(be, system, int64_t{1} << 20, /*reuse_on_same_stream=*/true);
  const void* first = allocator.allocate(256).get();  // freed at once, on the default stream
  CHECK(allocator.allocate(256).get() == first);      // same stream: reused without a wait
  StreamPtr other = be.new_stream();
  const void* on_other = nullptr;
  {
    StreamGuard guard(other);
    auto block = allocator.allocate(256);
    CHECK(block.get() != first);  // the default stream has not passed the free: other memory
    on_other = block.get();
  }  // freed on `other`
  auto from_default = allocator.allocate(256);
  CHECK(from_default.get() != on_other);  // `other` has not passed its free
  other->synchronize();
  auto after = allocator.allocate(256);
  CHECK(after.get() == on_other);  // passed: free for any stream
  CHECK(waits == 0);
  // More pending than the bound: the allocator waits for the device (once) instead of growing.
  {
    StreamGuard guard(other);
    std::vector<std::shared_ptr<float>> big;
    for (int i = 0; i < 3; ++i) big.push_back(allocator.allocate(int64_t{1} << 18));  // 1 MiB each
  }
  {
    auto again = allocator.allocate(int64_t{1} << 18);
    CHECK(waits == 1);
  }
  // Every block back and every stream past its frees: releasing the cache returns all memory.
  from_default.reset();
  after.reset();
  other->synchronize();
  be.synchronize();
  allocator.release_cached();
  CHECK(allocator.stats().system_bytes == 0);
}
