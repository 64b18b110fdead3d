// Every op, forward and backward, on every device against the CPU, in the style of ggml's
// test-backend-ops: one table of cases (odd sizes, broadcasting, padding that differs per side,
// overlapping pooling windows), each run on the CPU and on the device from the same inputs, the
// outputs and every input's gradient compared. The strict test device must agree bit for bit (it runs
// the CPU's kernels); a CUDA device to float tolerance, with TF32 off (and a TF32 case of its own).
// Also the kernels that are not ops of a Variable: argmax, top-k, one-hot, dtype conversion, the
// optimizers' fused updates and the accuracy count. ctest labels: "backend-ops"; the CUDA cases also
// "gpu" (skipped, naming the reason, without a GPU).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "nn/nn.hpp"
#include "skip.hpp"

using namespace nn;

namespace {

Tensor random_tensor(const Shape& shape, uint64_t seed, float lo, float hi) {
  Generator g(seed);
  std::vector<float> v(static_cast<size_t>(numel(shape)));
  for (float& x : v) x = g.uniform(lo, hi);
  return Tensor::from_vector(shape, v);
}

struct Case {
  std::string name;
  std::vector<Shape> inputs;
  std::function<Variable(const std::vector<Variable>&)> op;
  float lo = -2.0f, hi = 2.0f;  // input values drawn uniformly from [lo, hi)
};

// The table. Shapes are odd on purpose; the cases cover each kernel's special paths.
std::vector<Case> op_cases() {
  std::vector<Case> c;
  const auto unary = [&](const std::string& name, Variable (*f)(const Variable&), float lo = -3.0f, float hi = 3.0f) {
    c.push_back({name, {{3, 17}}, [f](const std::vector<Variable>& v) { return f(v[0]); }, lo, hi});
  };
  unary("relu", relu);
  unary("relu6", relu6, -2.0f, 8.0f);
  unary("selu", selu);
  unary("gelu", gelu);
  unary("sigmoid", sigmoid);
  unary("hard_sigmoid", hard_sigmoid, -4.0f, 4.0f);
  unary("log_sigmoid", log_sigmoid);
  unary("tanh", nn::tanh);
  unary("softplus", softplus);
  unary("softsign", softsign);
  unary("silu", silu);
  unary("hard_silu", hard_silu, -4.0f, 4.0f);
  unary("mish", mish);
  unary("exp", nn::exp);
  unary("log", nn::log, 0.1f, 4.0f);
  unary("square", square);
  unary("sqrt", nn::sqrt, 0.1f, 4.0f);
  unary("abs", nn::abs);
  unary("neg", neg);
  c.push_back({"leaky_relu", {{5, 9}}, [](const auto& v) { return leaky_relu(v[0], 0.1f); }});
  c.push_back({"elu", {{5, 9}}, [](const auto& v) { return elu(v[0], 0.7f); }});
  c.push_back({"scale", {{5, 9}}, [](const auto& v) { return scale(v[0], -1.5f); }});
  c.push_back({"clip", {{4, 13}}, [](const auto& v) { return clip(v[0], -0.5f, 0.75f); }});
  // Broadcasting arithmetic, and the gradients reduced back to each operand's shape.
  c.push_back({"add same", {{5, 7}, {5, 7}}, [](const auto& v) { return add(v[0], v[1]); }});
  c.push_back({"add row", {{5, 7}, {7}}, [](const auto& v) { return add(v[0], v[1]); }});
  c.push_back({"sub 3-d", {{5, 1, 3}, {4, 1}}, [](const auto& v) { return sub(v[0], v[1]); }});
  c.push_back({"mul scalar", {{}, {5, 7}}, [](const auto& v) { return mul(v[0], v[1]); }});
  c.push_back({"mul column", {{6, 1}, {6, 5}}, [](const auto& v) { return mul(v[0], v[1]); }});
  c.push_back({"div", {{3, 4, 5}, {4, 1}}, [](const auto& v) { return div(v[0], nn::exp(v[1])); }});
  // Reductions.
  c.push_back({"sum", {{3, 5, 7}}, [](const auto& v) { return sum(v[0]); }});
  c.push_back({"mean", {{33}}, [](const auto& v) { return mean(v[0]); }});
  c.push_back({"sum axis 0", {{3, 5, 7}}, [](const auto& v) { return sum(v[0], 0); }});
  c.push_back({"sum axis 1 keepdims", {{3, 5, 7}}, [](const auto& v) { return sum(v[0], 1, true); }});
  c.push_back({"mean axis 2", {{3, 5, 7}}, [](const auto& v) { return mean(v[0], 2); }});
  c.push_back({"sum large", {{3000}}, [](const auto& v) { return sum(v[0], 0); }});
  // Matrix products, and the dense layer's fused bias and activation.
  c.push_back({"matmul", {{7, 13}, {13, 5}}, [](const auto& v) { return matmul(v[0], v[1]); }});
  c.push_back({"matmul 1x1", {{1, 1}, {1, 3}}, [](const auto& v) { return matmul(v[0], v[1]); }});
  c.push_back({"transpose", {{4, 9}}, [](const auto& v) { return transpose(v[0]); }});
  for (const auto& [name, act] : std::vector<std::pair<std::string, Epilogue>>{
           {"none", Epilogue::None}, {"relu", Epilogue::Relu}, {"sigmoid", Epilogue::Sigmoid}, {"tanh", Epilogue::Tanh}})
    c.push_back({"linear bias " + name, {{9, 31}, {31, 10}, {10}},
                 [act = act](const auto& v) { return linear(v[0], v[1], v[2], act); }});
  c.push_back({"linear relu no bias", {{3, 8}, {8, 6}}, [](const auto& v) { return linear(v[0], v[1], Variable(), Epilogue::Relu); }});
  // Convolutions: valid, same (symmetric), same with an even kernel (one more at the bottom/right),
  // explicit, strided, 1x1, and the seeds' first layer.
  c.push_back({"conv valid bias relu", {{3, 2, 9, 11}, {4, 2, 3, 3}, {4}},
               [](const auto& v) { return conv2d(v[0], v[1], v[2], 1, 1, Padding::valid(), Epilogue::Relu); }});
  c.push_back({"conv same stride 2", {{2, 3, 8, 7}, {5, 3, 3, 3}, {5}},
               [](const auto& v) { return conv2d(v[0], v[1], v[2], 2, 2, Padding::same()); }});
  c.push_back({"conv same even kernel tanh", {{2, 2, 7, 6}, {3, 2, 2, 2}, {3}},
               [](const auto& v) { return conv2d(v[0], v[1], v[2], 1, 1, Padding::same(), Epilogue::Tanh); }});
  c.push_back({"conv explicit 5x5 sigmoid", {{1, 2, 9, 9}, {2, 2, 5, 5}, {2}},
               [](const auto& v) { return conv2d(v[0], v[1], v[2], 1, 2, Padding::values(2, 1), Epilogue::Sigmoid); }});
  c.push_back({"conv no bias", {{2, 3, 6, 6}, {4, 3, 3, 3}},
               [](const auto& v) { return conv2d(v[0], v[1], Variable(), 1, 1, Padding::valid()); }});
  c.push_back({"conv 1x1", {{2, 5, 4, 3}, {7, 5, 1, 1}, {7}}, [](const auto& v) { return conv2d(v[0], v[1], v[2]); }});
  c.push_back({"conv mnist first layer", {{2, 1, 28, 28}, {32, 1, 5, 5}, {32}},
               [](const auto& v) { return conv2d(v[0], v[1], v[2], 1, 1, Padding::same(), Epilogue::Relu); }});
  // Pooling: odd sizes, overlapping windows, padding (never counted, never the maximum).
  c.push_back({"max pool 2x2", {{2, 3, 7, 9}}, [](const auto& v) { return max_pool2d(v[0], 2, 2, 2, 2); }});
  c.push_back({"max pool 3x3 overlapping same", {{2, 2, 6, 5}}, [](const auto& v) { return max_pool2d(v[0], 3, 3, 1, 1, Padding::same()); }});
  c.push_back({"avg pool 2x2 same", {{2, 3, 7, 5}}, [](const auto& v) { return avg_pool2d(v[0], 2, 2, 2, 2, Padding::same()); }});
  c.push_back({"avg pool 3x3 stride 2", {{1, 2, 9, 8}}, [](const auto& v) { return avg_pool2d(v[0], 3, 3, 2, 2); }});
  c.push_back({"global avg pool", {{3, 4, 5, 5}}, [](const auto& v) { return global_avg_pool2d(v[0]); }});
  // Batch normalization, training (batch statistics) and inference.
  c.push_back({"batch norm conv", {{4, 3, 5, 5}, {3}, {3}},
               [](const auto& v) { return batch_norm(v[0], v[1], v[2], 1, 1e-3f); }, -1.0f, 3.0f});
  c.push_back({"batch norm dense", {{6, 5}, {5}, {5}}, [](const auto& v) { return batch_norm(v[0], v[1], v[2], 1, 1e-3f); }});
  c.push_back({"batch norm inference", {{4, 3, 2, 3}, {3}, {3}}, [](const auto& v) {
                 const Tensor mean = Tensor::from_vector({3}, std::vector<float>{0.1f, -0.2f, 0.3f}).to(v[0].device());
                 const Tensor var = Tensor::from_vector({3}, std::vector<float>{1.5f, 0.5f, 2.0f}).to(v[0].device());
                 return batch_norm_inference(v[0], v[1], v[2], mean, var, 1, 1e-3f);
               }});
  // Softmax family and the cross-entropy with class labels, one-hot and smoothed targets.
  c.push_back({"softmax", {{5, 11}}, [](const auto& v) { return softmax(v[0]); }, -5.0f, 5.0f});
  c.push_back({"log_softmax", {{5, 11}}, [](const auto& v) { return log_softmax(v[0]); }, -5.0f, 5.0f});
  c.push_back({"softmax wide", {{3, 1000}}, [](const auto& v) { return softmax(v[0]); }, -5.0f, 5.0f});
  c.push_back({"cross-entropy labels", {{7, 10}}, [](const auto& v) {
                 const Tensor labels = Tensor::from_vector({7}, std::vector<int64_t>{3, 0, 9, 9, 1, 5, 2}).to(v[0].device());
                 return softmax_cross_entropy(v[0], labels);
               }, -4.0f, 4.0f});
  c.push_back({"cross-entropy smoothed targets", {{4, 5}}, [](const auto& v) {
                 std::vector<float> t(20, 0.025f);
                 for (int r = 0; r < 4; ++r) t[static_cast<size_t>(r * 5 + (r * 2) % 5)] = 0.9f;
                 return softmax_cross_entropy(v[0], Tensor::from_vector({4, 5}, t).to(v[0].device()), Reduction::Sum);
               }});
  // Counter-based dropout: the same mask on every device.
  c.push_back({"dropout", {{4, 33}}, [](const auto& v) {
                 Generator g(1234);
                 return dropout(v[0], 0.3f, true, g);
               }});
  // Shape ops.
  c.push_back({"reshape", {{3, 4, 5}}, [](const auto& v) { return reshape(v[0], {6, 10}); }});
  c.push_back({"permute", {{3, 4, 5}}, [](const auto& v) { return permute(v[0], {2, 0, 1}); }});
  // Random shapes (seeded, so a failure repeats): products, convolutions, pooling and broadcasting
  // over sizes from 1 to 19.
  Generator g(2024);
  const auto size = [&g](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(g.below(static_cast<uint64_t>(hi - lo + 1))); };
  for (int i = 0; i < 6; ++i) {
    const int64_t m = size(1, 19), k = size(1, 19), n = size(1, 19);
    c.push_back({"random linear " + std::to_string(i), {{m, k}, {k, n}, {n}},
                 [](const auto& v) { return linear(v[0], v[1], v[2], Epilogue::Relu); }});
    const int64_t kh = size(1, 4), kw = size(1, 4), h = size(kh, 13), w = size(kw, 13), stride = size(1, 2);
    const bool same = g.below(2) == 1;
    c.push_back({"random conv " + std::to_string(i), {{size(1, 3), size(1, 4), h, w}, {size(1, 5), 0, kh, kw}, {}},
                 [stride, same](const auto& v) {
                   return conv2d(v[0], v[1], Variable(), stride, stride, same ? Padding::same() : Padding::valid());
                 }});
    Case& conv = c.back();
    conv.inputs[1][1] = conv.inputs[0][1];  // the weights' input channels are the input's
    conv.inputs.pop_back();
    const int64_t pk = size(1, 3), ps = size(1, 3);
    c.push_back({"random max pool " + std::to_string(i), {{size(1, 2), size(1, 3), size(pk, 12), size(pk, 12)}},
                 [pk, ps](const auto& v) { return max_pool2d(v[0], pk, pk, ps, ps, Padding::same()); }});
    const int64_t a = size(1, 6), b = size(1, 6), d = size(1, 6);
    c.push_back({"random broadcast " + std::to_string(i), {{a, 1, d}, {b, 1}},
                 [](const auto& v) { return mul(v[0], v[1]); }});
  }
  return c;
}

struct Result {
  Tensor out;
  std::vector<Tensor> grads;
};

Result run_case(const Case& c, Device device, size_t index) {
  std::vector<Variable> vars;
  for (size_t i = 0; i < c.inputs.size(); ++i)
    vars.emplace_back(random_tensor(c.inputs[i], 1000 * index + i, c.lo, c.hi).to(device), true);
  Variable out = c.op(vars);
  // A random linear function of the output: every output element gets its own gradient.
  const Variable weights(random_tensor(out.shape(), 7 + index, -1.0f, 1.0f).to(device));
  Variable loss = sum(mul(out, weights));
  loss.backward();
  Result r{out.value().to(Device::cpu()), {}};
  for (auto& v : vars) r.grads.push_back(v.has_grad() ? v.grad().to(Device::cpu()) : Tensor());
  return r;
}

// |a - b| <= atol + rtol |b| everywhere, NaN only where both are NaN; names the first difference.
void expect_close(const Tensor& got, const Tensor& want, float tol, const std::string& what) {
  REQUIRE_MESSAGE(got.shape() == want.shape(), what << ": shape " << to_string(got.shape()) << " against "
                                                    << to_string(want.shape()));
  const Tensor g = got.to(kFloat32), w = want.to(kFloat32);
  const float* a = g.data();
  const float* b = w.data();
  for (int64_t i = 0; i < g.numel(); ++i) {
    const bool both_nan = std::isnan(a[i]) && std::isnan(b[i]);
    const bool ok = both_nan || (tol == 0.0f ? a[i] == b[i] : std::fabs(a[i] - b[i]) <= tol + tol * std::fabs(b[i]));
    if (!ok) {
      FAIL_CHECK(what << ": element " << i << " is " << a[i] << ", the CPU's " << b[i] << " (tolerance " << tol << ")");
      return;
    }
  }
}

void all_ops_against_cpu(Device device, float tol) {
  const std::vector<Case> cases = op_cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    CAPTURE(c.name);
    const Result want = run_case(c, Device::cpu(), i);
    const Result got = run_case(c, device, i);
    expect_close(got.out, want.out, tol, c.name + " forward on " + to_string(device));
    for (size_t j = 0; j < want.grads.size(); ++j) {
      REQUIRE_MESSAGE(got.grads[j].defined() == want.grads[j].defined(), c.name << ": gradient " << j);
      if (want.grads[j].defined())
        expect_close(got.grads[j], want.grads[j], tol, c.name + " gradient of input " + std::to_string(j) + " on " +
                                                           to_string(device));
    }
  }
}

void same(const Tensor& got, const Tensor& want) { expect_close(got, want, 0.0f, "result"); }

// The kernels that are not differentiable ops: indices, one-hot, conversions, metrics, optimizers.
void other_kernels_against_cpu(Device device, float tol) {
  const Tensor x = random_tensor({4, 5, 6}, 99, -1.0f, 1.0f);
  const Tensor xd = x.to(device);
  same(argmax(xd, -1).to(Device::cpu()), argmax(x, -1));
  same(argmax(xd, 1).to(Device::cpu()), argmax(x, 1));
  const Tensor rows = random_tensor({7, 11}, 5, -1.0f, 1.0f);
  const TopK want = top_k(rows, 3), got = top_k(rows.to(device), 3);
  same(got.values.to(Device::cpu()), want.values);
  same(got.indices.to(Device::cpu()), want.indices);
  const Tensor labels = Tensor::from_vector({5}, std::vector<int64_t>{4, 0, 2, 2, 9});
  same(one_hot(labels.to(device), 10).to(Device::cpu()), one_hot(labels, 10));
  // Conversions between every pair of dtypes, with values that round, saturate and are not numbers.
  const std::vector<float> special{0.0f, -0.0f, 1.5f, -2.5f, 3.7f, 255.9f, 300.0f, -7.0f, 65504.0f, 70000.0f, 1e-6f,
                                   1e-8f, 3e38f, -3e38f, std::numeric_limits<float>::infinity(),
                                   std::numeric_limits<float>::quiet_NaN(), 0.333333f, 1e10f, -1e19f};
  const Tensor values = Tensor::from_vector({static_cast<int64_t>(special.size())}, special);
  for (DType from : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8})
    for (DType to : {kFloat32, kFloat16, kBFloat16, kInt32, kInt64, kUInt8}) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      const Tensor src = values.to(from);
      const Tensor host = src.to(to);
      const Tensor dev = src.to(device).to(to).to(Device::cpu());
      same(dev, host);
    }
  // The accuracy counts, top-1 and top-3, with class labels and with one-hot targets.
  const Tensor scores = random_tensor({33, 10}, 17, 0.0f, 1.0f);
  std::vector<int64_t> truth(33);
  for (size_t i = 0; i < truth.size(); ++i) truth[i] = static_cast<int64_t>((i * 7) % 10);
  const Tensor y = Tensor::from_vector({33}, truth);
  for (int64_t k : {1, 3}) {
    TopKAccuracy cpu(k), dev(k);
    cpu.update(scores, y);
    dev.update(scores.to(device), y.to(device));
    dev.update(scores.to(device), one_hot(y, 10).to(device));
    cpu.update(scores, one_hot(y, 10));
    CHECK(dev.result() == cpu.result());
  }
  // Three steps of each optimizer on the same gradients.
  const auto make = std::vector<std::pair<std::string, std::function<std::unique_ptr<Optimizer>()>>>{
      {"sgd nesterov", [] { return std::make_unique<SGD>(SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(0.01)); }},
      {"sgd", [] { return std::make_unique<SGD>(SGDOptions(0.1)); }},
      {"adam", [] { return std::make_unique<Adam>(AdamOptions(0.01).epsilon_convention(AdamEpsilon::PyTorch)); }},
      {"adamw", [] { return std::make_unique<AdamW>(AdamWOptions(0.01).weight_decay(0.1)); }},
      {"rmsprop centered momentum", [] { return std::make_unique<RMSprop>(RMSpropOptions(0.01).centered(true).momentum(0.5)); }},
      {"rmsprop", [] { return std::make_unique<RMSprop>(RMSpropOptions(0.01)); }},
      {"adagrad", [] { return std::make_unique<Adagrad>(AdagradOptions(0.1)); }},
  };
  for (const auto& [name, factory] : make) {
    CAPTURE(name);
    Tensor result[2];
    int slot = 0;
    for (Device d : {Device::cpu(), device}) {
      Variable p(random_tensor({37}, 3, -1.0f, 1.0f).to(d), true);
      auto opt = factory();
      opt->set_parameters({p});
      for (int step = 0; step < 3; ++step) {
        opt->zero_grad();
        const Variable g(random_tensor({37}, 40 + static_cast<uint64_t>(step), -1.0f, 1.0f).to(d));
        Variable loss = sum(mul(p, g));
        loss.backward();
        opt->step();
      }
      result[slot++] = p.value().to(Device::cpu());
    }
    expect_close(result[1], result[0], tol, name + " on " + to_string(device));
  }
}

}  // namespace

TEST_CASE("test device: every op, forward and backward, bit for bit the CPU's") {
  all_ops_against_cpu(Device::test(), 0.0f);
}

TEST_CASE("test device: argmax, top-k, one-hot, conversions, accuracy counts and optimizers as on the CPU") {
  other_kernels_against_cpu(Device::test(), 0.0f);
}

TEST_CASE("cuda: every op, forward and backward, against the CPU (TF32 off)") {
  if (!cuda::is_available()) NN_SKIP(cuda::unavailable_reason());
  cuda::set_allow_tf32_convolutions(false);
  cuda::set_allow_tf32_matmul(false);
  for (const Device& d : devices())
    if (d.type == DeviceType::CUDA) all_ops_against_cpu(d, 2e-4f);
  cuda::set_allow_tf32_convolutions(true);
}

TEST_CASE("cuda: argmax, top-k, one-hot, conversions, accuracy counts and optimizers against the CPU") {
  if (!cuda::is_available()) NN_SKIP(cuda::unavailable_reason());
  for (const Device& d : devices())
    if (d.type == DeviceType::CUDA) other_kernels_against_cpu(d, 1e-5f);
}

TEST_CASE("cuda: with TF32 on, convolutions and matrix products agree to TF32's precision") {
  if (!cuda::is_available()) NN_SKIP(cuda::unavailable_reason());
  cuda::set_allow_tf32_convolutions(true);
  cuda::set_allow_tf32_matmul(true);
  const Tensor x = random_tensor({8, 3, 12, 12}, 1, -1.0f, 1.0f), w = random_tensor({16, 3, 3, 3}, 2, -0.5f, 0.5f);
  const Tensor a = random_tensor({64, 200}, 3, -1.0f, 1.0f), b = random_tensor({200, 32}, 4, -1.0f, 1.0f);
  const Device d = Device::cuda(0);
  const Tensor conv_cpu = conv2d(Variable(x), Variable(w), Variable()).value();
  const Tensor conv_gpu = conv2d(Variable(x.to(d)), Variable(w.to(d)), Variable()).value().to(Device::cpu());
  expect_close(conv_gpu, conv_cpu, 1e-2f, "TF32 convolution");
  const Tensor mm_cpu = matmul(Variable(a), Variable(b)).value();
  const Tensor mm_gpu = matmul(Variable(a.to(d)), Variable(b.to(d))).value().to(Device::cpu());
  expect_close(mm_gpu, mm_cpu, 2e-2f, "TF32 matrix product");
  cuda::set_allow_tf32_matmul(false);
}

TEST_CASE("cuda: bfloat16 autocast keeps float32 tensors and agrees to bfloat16's precision") {
  if (!cuda::is_available()) NN_SKIP(cuda::unavailable_reason());
  const Device d = Device::cuda(0);
  const Tensor x = random_tensor({8, 3, 12, 12}, 1, -1.0f, 1.0f), w = random_tensor({16, 3, 4, 4}, 2, -0.5f, 0.5f);
  const Tensor a = random_tensor({32, 100}, 3, -1.0f, 1.0f), b = random_tensor({100, 24}, 4, -1.0f, 1.0f);
  Variable xv(x.to(d), true), wv(w.to(d), true), av(a.to(d), true), bv(b.to(d), true);
  Variable conv, mm;
  {
    Autocast bf16(kBFloat16);
    conv = conv2d(xv, wv, Variable(), 1, 1, Padding::same());
    mm = matmul(av, bv);
    CHECK(conv.value().dtype() == kFloat32);
    add(sum(conv), sum(mm)).backward();
  }
  expect_close(conv.value().to(Device::cpu()), conv2d(Variable(x), Variable(w), Variable(), 1, 1, Padding::same()).value(),
               3e-2f, "bfloat16 convolution");
  expect_close(mm.value().to(Device::cpu()), matmul(Variable(a), Variable(b)).value(), 3e-2f, "bfloat16 matrix product");
  CHECK(wv.grad().dtype() == kFloat32);
  CHECK(bv.grad().dtype() == kFloat32);
}

TEST_CASE("the CPU declines bfloat16 autocast: it computes in float32 only") {
  CHECK(backend_for(Device::cpu()).computes_in(kFloat32));
  CHECK_FALSE(backend_for(Device::cpu()).computes_in(kBFloat16));
  CHECK_THROWS_AS(Autocast{kInt64}, std::invalid_argument);
  {
    Autocast bf16(kBFloat16);
    CHECK(autocast_dtype() == kBFloat16);
  }
  CHECK(autocast_dtype() == kFloat32);
}
