// The prediction server through a real HTTP client on loopback: every endpoint and error, the
// API key, the limits and the cpp-httplib holes it closes, metrics, batching, bounded queues,
// concurrent load, and versions swapped under load.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "nn/nn.hpp"
#include "nn/serving/server.hpp"
#include "nn/vision/image.hpp"
#include "nn/vision/mnist_form.hpp"
#include "temp_dir.hpp"

using namespace nn;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A client that writes to a connection the server has closed must see an error, not die.
const bool kIgnoreSigpipe = (::signal(SIGPIPE, SIG_IGN), true);

Sequential small_model(uint64_t seed) {
  manual_seed(seed);
  Sequential m;
  m.add(Input({1, 28, 28}));
  m.add<Flatten>();
  m.add<Dense>(32, "relu");
  m.add<Dense>(10, "softmax");
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

// 784 numbers in [0, 1], different for each i.
std::vector<float> digit_values(int i) {
  std::vector<float> v(784);
  for (int k = 0; k < 784; ++k) v[static_cast<size_t>(k)] = static_cast<float>((k * (i + 3) + i) % 97) / 96.0f;
  return v;
}

// A PNG of a dark "1" on white paper.
std::string digit_png() {
  std::vector<float> px(64 * 64, 1.0f);
  for (int y = 10; y < 54; ++y)
    for (int x = 28; x < 36; ++x) px[static_cast<size_t>(y * 64 + x)] = 0.0f;
  return vision::encode_png(Tensor::from_vector({64, 64}, px));
}

std::string base64(const std::string& bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// A connected socket from a source address on loopback (127.0.0.0/8 is all loopback on Linux:
// other addresses are other clients to the server).
int connect_from(int port, const char* source = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// A raw request over a fresh socket; returns what came back (the status line first). *closed
// tells whether the server closed the connection (rather than recv's 10 s timeout ending it).
std::string raw(int port, const std::string& request, size_t chunk = 1 << 16, bool* closed = nullptr,
                const char* source = "127.0.0.1") {
  const int fd = connect_from(port, source);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (size_t at = 0; at < request.size(); at += chunk)
    if (::send(fd, request.data() + at, std::min(chunk, request.size() - at), MSG_NOSIGNAL) < 0) break;  // closed on us
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
  if (closed) *closed = n == 0 || (n < 0 && errno == ECONNRESET);
  ::close(fd);
  return reply;
}

// Whether a reply holding one answer is well framed: a Content-Length header whose value is the
// number of bytes after the headers (clients that trust it read exactly that many).
bool well_framed(const std::string& reply) {
  const size_t end = reply.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = reply.substr(0, end);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
  const size_t at = head.find("\r\ncontent-length:");
  if (at == std::string::npos) return false;
  const size_t length = std::stoul(head.substr(at + 18));
  return reply.size() - (end + 4) == length;
}


// Sends bytes on a fresh connection, then closes its sending side (so that a server that waits
// for more sees the end) and reads until the server closes. The answers, in order: each its
// status and whether it is well framed (a status line, headers, a Content-Length and that many
// bytes, none for a HEAD request); a reply that cannot be split so ends the list with status -1.
struct Exchange {
  std::vector<int> statuses;
  bool framed = true;
  std::string text;
};
Exchange exchange(int port, const std::string& bytes, bool head_request = false) {
  const int fd = connect_from(port);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  Exchange e;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) e.text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t at = 0;
  while (at < e.text.size()) {
    const size_t end = e.text.find("\r\n\r\n", at);
    std::string head = end == std::string::npos ? std::string() : e.text.substr(at, end - at);
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    const size_t length_at = head.find("\r\ncontent-length:");
    if (e.text.compare(at, 9, "HTTP/1.1 ") != 0 || length_at == std::string::npos) {
      e.statuses.push_back(-1);
      e.framed = false;
      break;
    }
    e.statuses.push_back(std::stoi(e.text.substr(at + 9, 3)));
    const size_t length = head_request ? 0 : std::stoul(head.substr(length_at + 18));
    at = end + 4 + length;
    if (at > e.text.size()) e.framed = false;  // fewer bytes than its Content-Length
  }
  return e;
}

struct Served {
  test::TempDir dir{"nn_serving"};
  Sequential model = small_model(1);
  std::mutex log_mutex;  // before the server: its threads log until it is destroyed
  std::vector<std::string> log;
  std::unique_ptr<serving::Server> server;
  int port = 0;

  explicit Served(serving::ServerOptions o = {}) {
    model.save(dir / "model.nn");
    if (o.model_dir().empty() && o.model_file().empty()) o.model_file(dir / "model.nn");
    o.port(0).timeout_seconds(2).log([this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex);
      log.push_back(line);
    });
    server = std::make_unique<serving::Server>(o);
    port = server->start();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(10, 0);
    return c;
  }
  // The model's probabilities for these inputs, computed here.
  std::vector<float> expected(const std::vector<std::vector<float>>& inputs) {
    Tensor x({static_cast<int64_t>(inputs.size()), 1, 28, 28});
    for (size_t i = 0; i < inputs.size(); ++i) std::copy(inputs[i].begin(), inputs[i].end(), x.data() + i * 784);
    return model.predict(x).to_vector();
  }
};

void check_rows(const json& rows, const std::vector<float>& expected) {
  REQUIRE(rows.is_array());
  size_t k = 0;
  for (const auto& row : rows)
    for (const auto& p : row) CHECK(p.get<float>() == doctest::Approx(expected[k++]).epsilon(1e-5));
  CHECK(k == expected.size());
}

json post(httplib::Client& c, const std::string& path, const json& body, int expect) {
  auto r = c.Post(path.c_str(), body.dump(), "application/json");
  REQUIRE(r);
  INFO(path, " -> ", r->status, " ", r->body);
  CHECK(r->status == expect);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  return json::parse(r->body);
}

json get(httplib::Client& c, const std::string& path, int expect) {
  auto r = c.Get(path.c_str());
  INFO(path, ": ", httplib::to_string(r.error()));
  REQUIRE(r);
  INFO(path, " -> ", r->status, " ", r->body);
  CHECK(r->status == expect);
  return r->body.empty() ? json() : json::parse(r->body);
}

}  // namespace

TEST_CASE("TF Serving: model status and metadata, as TF Serving writes them") {
  Served s;
  auto c = s.client();
  const json status = get(c, "/v1/models/mnist", 200);
  CHECK(status == json::parse(R"({"model_version_status": [{"version": "1", "state": "AVAILABLE",
                                  "status": {"error_code": "OK", "error_message": ""}}]})"));
  CHECK(get(c, "/v1/models/mnist/versions/1", 200)["model_version_status"].size() == 1);
  const json meta = get(c, "/v1/models/mnist/metadata", 200);
  const json sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"];
  CHECK(sig["inputs"]["images"]["dtype"] == "DT_FLOAT");
  CHECK(sig["inputs"]["images"]["tensor_shape"]["dim"].size() == 4);  // (-1, 1, 28, 28)
  CHECK(sig["outputs"]["probabilities"]["tensor_shape"]["dim"][1]["size"] == "10");
  CHECK(meta["model_spec"]["version"] == "1");
  CHECK(get(c, "/v1/models/fashion", 404)["error"] == "Could not find any versions of model fashion");
  CHECK(get(c, "/v1/models/mnist/versions/3/metadata", 404)["error"] ==
        "Servable not found for request: Specific(mnist, 3)");
  CHECK(get(c, "/v1/models", 400)["error"] == "Missing model name in request.");
  CHECK(get(c, "/v1/models/mnist/versions/x1", 400)["error"].get<std::string>().find("Failed to convert version") == 0);
}

TEST_CASE("TF Serving predict: rows and columns, flat, nested, named and b64 instances") {
  Served s;
  auto c = s.client();
  const auto a = digit_values(0), b = digit_values(1);
  json nested = json::array();
  for (int r = 0; r < 28; ++r) nested.push_back(std::vector<float>(b.begin() + r * 28, b.begin() + (r + 1) * 28));
  check_rows(post(c, "/v1/models/mnist:predict", {{"instances", {a, nested}}}, 200)["predictions"], s.expected({a, b}));
  check_rows(post(c, "/v1/models/mnist/versions/1:predict", {{"inputs", {a}}}, 200)["outputs"], s.expected({a}));
  check_rows(post(c, "/v1/models/mnist:predict", {{"inputs", {{"images", {b}}}}}, 200)["outputs"], s.expected({b}));
  check_rows(post(c, "/v1/models/mnist:predict", {{"instances", {{{"images", a}}}}, {"signature_name", "serving_default"}}, 200)
                 ["predictions"],
             s.expected({a}));
  const std::string png = digit_png();
  const Tensor seen = vision::to_mnist(vision::decode_image(png, "one.png"));
  check_rows(post(c, "/v1/models/mnist:predict", {{"instances", {{{"b64", base64(png)}}}}}, 200)["predictions"],
             s.expected({seen.to_vector()}));
  // JSON under curl -d's default content type, as TF Serving's own examples send it (and longer
  // than the 8 KiB cpp-httplib allows a form-encoded body).
  const std::string two = json{{"instances", {a, b}}}.dump();
  REQUIRE(two.size() > 8192);
  auto form_encoded = c.Post("/v1/models/mnist:predict", two, "application/x-www-form-urlencoded");
  REQUIRE(form_encoded);
  CHECK(form_encoded->status == 200);
  check_rows(json::parse(form_encoded->body)["predictions"], s.expected({a, b}));
  CHECK(post(c, "/v1/models/mnist/versions/2:predict", {{"instances", {a}}}, 404)["error"] ==
        "Servable not found for request: Specific(mnist, 2)");
  CHECK(post(c, "/v1/models/mnist:classify", {{"examples", json::array()}}, 400)["error"].get<std::string>().find("predict") !=
        std::string::npos);
}

TEST_CASE("KServe v2: health, metadata, readiness and infer") {
  Served s;
  auto c = s.client();
  for (const char* path : {"/v2/health/live", "/v2/health/ready", "/v2/models/mnist/ready", "/v2/models/mnist/versions/1/ready"}) {
    auto r = c.Get(path);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body.empty());
  }
  CHECK(get(c, "/v2/models/mnist", 200)["inputs"][0]["shape"] == json::array({-1, 1, 28, 28}));
  CHECK(get(c, "/v2", 200)["name"] == "nn");
  get(c, "/v2/models/other/ready", 404);
  const auto a = digit_values(2), b = digit_values(3);
  std::vector<float> flat(a);
  flat.insert(flat.end(), b.begin(), b.end());
  const json reply = post(c, "/v2/models/mnist/infer",
                          {{"id", "r-42"}, {"inputs", {{{"name", "images"}, {"shape", {2, 784}}, {"datatype", "FP32"}, {"data", flat}}}}},
                          200);
  CHECK(reply["id"] == "r-42");
  CHECK(reply["model_version"] == "1");
  CHECK(reply["outputs"][0]["shape"] == json::array({2, 10}));
  const auto expected = s.expected({a, b});
  for (size_t i = 0; i < expected.size(); ++i) CHECK(reply["outputs"][0]["data"][i].get<float>() == doctest::Approx(expected[i]).epsilon(1e-5));
  post(c, "/v2/models/mnist/infer", {{"inputs", {{{"name", "images"}, {"shape", {1, 783}}, {"datatype", "FP32"}, {"data", a}}}}}, 400);
  post(c, "/v2/models/mnist/infer", {{"inputs", {{{"name", "images"}, {"shape", {1, 784}}, {"datatype", "BYTES"}, {"data", a}}}}}, 400);
}

TEST_CASE("the seeds' clients: JSON and a multipart form, with the top 5") {
  Served s;
  auto c = s.client();
  const auto a = digit_values(4);
  const json reply = post(c, "/", {{"image", a}}, 200);
  const auto expected = s.expected({a});
  const int best = static_cast<int>(std::max_element(expected.begin(), expected.end()) - expected.begin());
  CHECK(reply["predicted_label"] == std::to_string(best));
  REQUIRE(reply["scores"].size() == 5);
  CHECK(reply["scores"][0][0] == std::to_string(best));
  CHECK(reply["scores"][0][1].get<float>() == doctest::Approx(expected[static_cast<size_t>(best)]).epsilon(1e-5));
  for (size_t i = 1; i < 5; ++i) CHECK(reply["scores"][i][1].get<float>() <= reply["scores"][i - 1][1].get<float>());

  const std::string png = digit_png();
  httplib::MultipartFormDataItems form{{"images", png, "one.png", "image/png"}};
  auto r = c.Post("/?include_image=1", form);
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 200);
  const json up = json::parse(r->body);
  const Tensor seen = vision::to_mnist(vision::decode_image(png, "one.png"));
  const auto e = s.expected({seen.to_vector()});
  CHECK(up["predicted_label"] == std::to_string(std::max_element(e.begin(), e.end()) - e.begin()));
  CHECK(up["image"].size() == 28);
  CHECK(up["image"][20][31 % 28].is_number());
}

TEST_CASE("bad requests get a JSON error with TF Serving's code, and the server keeps serving") {
  Served s;
  auto c = s.client();
  const auto a = digit_values(5);
  auto expect_error = [&](const std::string& path, const std::string& body, const std::string& type, int status,
                          const std::string& fragment) {
    auto r = c.Post(path.c_str(), body, type.c_str());
    REQUIRE(r);
    INFO(path, " ", body.substr(0, 80), " -> ", r->status, " ", r->body);
    CHECK(r->status == status);
    const json j = json::parse(r->body);
    CHECK(j["error"].get<std::string>().find(fragment) != std::string::npos);
  };
  const std::string p = "/v1/models/mnist:predict";
  expect_error(p, "{\"instances\": [1, 2", "application/json", 400, "malformed JSON");
  expect_error(p, json{{"instances", {std::vector<float>(783, 0.5f)}}}.dump(), "application/json", 400, "783 numbers");
  expect_error(p, json{{"instances", {a}}, {"inputs", {a}}}.dump(), "application/json", 400, "not both");
  expect_error(p, json{{"signature_name", "classify"}, {"instances", {a}}}.dump(), "application/json", 400, "signature_name");
  expect_error(p, json{{"instances", json::array()}}.dump(), "application/json", 400, "no instances");
  expect_error(p, json{{"instances", {{{"b64", "not base64!"}}}}}.dump(), "application/json", 400, "malformed base64");
  expect_error(p, json{{"instances", {{{"b64", base64("GIF89a...")}}}}}.dump(), "application/json", 400, "not an image");
  const std::string blank = vision::encode_png(Tensor::ones({40, 40}));
  expect_error(p, json{{"instances", {{{"b64", base64(blank)}}}}}.dump(), "application/json", 400, "no digit found");
  expect_error(p, json{{"instances", std::vector<std::vector<float>>(1025, std::vector<float>(784, 0.0f))}}.dump(),
               "application/json", 413, "1025 instances");
  expect_error(p, json{{"instances", {{1, {2, 3}}}}}.dump(), "application/json", 400, "not rectangular");
  // Deep nesting (a 600 KB body of brackets, and named objects around an instance) is refused while
  // parsing, before a deep document is built or walked.
  expect_error(p, "{\"instances\": " + std::string(300000, '[') + std::string(300000, ']') + "}", "application/json",
               400, "nests deeper than 32");
  std::string wrapped = json(a).dump();
  for (int i = 0; i < 40; ++i) wrapped = "{\"x\": " + wrapped + "}";
  expect_error(p, "{\"instances\": [" + wrapped + "]}", "application/json", 400, "nests deeper than 32");
  expect_error("/", json{{"img", a}}.dump(), "application/json", 400, "expected {\"image\"");
  expect_error("/", "just text", "text/plain", 415, "Content-Type");
  httplib::MultipartFormDataItems wrong_field{{"photo", digit_png(), "one.png", "image/png"}};
  auto r = c.Post("/", wrong_field);
  REQUIRE(r);
  CHECK(r->status == 400);
  httplib::MultipartFormDataItems many_parts(65, {"note", "x", "", "text/plain"});
  r = c.Post("/", many_parts);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->body.find("more than 64 parts") != std::string::npos);
  CHECK(get(c, "/nothing/here", 404)["error"].get<std::string>().find("no such resource") == 0);
  auto put = c.Put("/v1/models/mnist:predict", "{}", "application/json");
  REQUIRE(put);
  CHECK(put->status == 405);
  // After all that, a good request is answered.
  check_rows(post(c, p, {{"instances", {a}}}, 200)["predictions"], s.expected({a}));
}

TEST_CASE("limits, and the holes of cpp-httplib 0.11.4 closed (CVE-2025-46728, -53628, -52887)") {
  Served s(serving::ServerOptions().max_body_bytes(1 << 20));
  auto ok = [&] {
    auto c = s.client();
    auto r = c.Get("/healthz");
    return r && r->status == 200;
  };
  // A Content-Length over the limit: 413 before the body is read.
  std::string reply = raw(s.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{");
  CHECK(reply.rfind("HTTP/1.1 413", 0) == 0);
  // Chunked bodies (whose size httplib does not limit) and bodies without a length: 411.
  reply = raw(s.port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100000\r\n" + std::string(4096, 'a'));
  CHECK(reply.rfind("HTTP/1.1 411", 0) == 0);
  reply = raw(s.port, "POST /v1/models/mnist:predict HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n{}");
  CHECK(reply.rfind("HTTP/1.1 411", 0) == 0);
  // A header line of 1 MB, a request line of 20 KB, 1000 headers: refused after the limit, not buffered.
  reply = raw(s.port, "GET / HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n");
  CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
  reply = raw(s.port, "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(reply.rfind("HTTP/1.1 4", 0) == 0);
  CHECK_MESSAGE(well_framed(reply), reply);
  std::string many = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 1000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  reply = raw(s.port, many + "\r\n");
  CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
  // Two Content-Length headers (a smuggling attempt): 400.
  reply = raw(s.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
  CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
  // A compressed body, which httplib would inflate without a limit: 415.
  reply = raw(s.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                      "Content-Length: 4\r\n\r\nabcd");
  CHECK(reply.rfind("HTTP/1.1 415", 0) == 0);
  CHECK(reply.find("Content-Encoding") != std::string::npos);
  // A multipart body that is not one (no closing boundary, a part without headers): 400.
  const std::string bad_form = "--XyZ\r\nContent-Disposition: form-data; name=\"images\"; filename=\"a.png\"\r\n\r\n\x89PNG";
  reply = raw(s.port, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                      "Content-Length: " + std::to_string(bad_form.size()) + "\r\n\r\n" + bad_form);
  CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
  // A client that sends half a request and stalls is disconnected after the read timeout (2 s
  // here), not waited on for ever: recv sees the close, not its own 10 s timeout.
  bool closed = false;
  reply = raw(s.port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"image\": [", 1 << 16, &closed);
  CHECK(closed);
  CHECK(reply.find("HTTP/1.1 2") == std::string::npos);
  CHECK(ok());
}

TEST_CASE("an image over the pixel limit is refused before it is decoded") {
  Served s(serving::ServerOptions().max_image_pixels(100 * 100));
  auto c = s.client();
  const std::string big = vision::encode_png(Tensor::ones({200, 120}));
  const json e = post(c, "/v1/models/mnist:predict", {{"instances", {{{"b64", base64(big)}}}}}, 413);
  CHECK(e["error"].get<std::string>().find("120x200 pixels is larger than the limit of 10000") != std::string::npos);
  httplib::MultipartFormDataItems form{{"images", big, "big.png", "image/png"}};
  auto r = c.Post("/", form);
  REQUIRE(r);
  CHECK(r->status == 413);
  // Two images within the limit alone, over it together: the limit holds for the whole request.
  std::vector<float> px(80 * 80, 1.0f);
  for (int y = 15; y < 65; ++y)
    for (int x = 36; x < 44; ++x) px[static_cast<size_t>(y * 80 + x)] = 0.0f;
  const std::string one = base64(vision::encode_png(Tensor::from_vector({80, 80}, px)));
  CHECK(post(c, "/v1/models/mnist:predict", {{"instances", {{{"b64", one}}}}}, 200)["predictions"].size() == 1);
  CHECK(post(c, "/v1/models/mnist:predict", {{"instances", {{{"b64", one}}, {{"b64", one}}}}}, 413)["error"]
            .get<std::string>()
            .find("more than the limit of 10000 pixels together") != std::string::npos);
  // Within the limit, the same path works.
  CHECK(post(c, "/v1/models/mnist:predict", {{"instances", {{{"b64", base64(digit_png())}}}}}, 200)["predictions"].size() == 1);
}

TEST_CASE("the pixels decoded at once are bounded across requests: eight large uploads hold one at a time") {
  // A 3000 x 3000 photo of a "1" (9 MP; a small PNG), posted by eight clients at once to a server
  // that may decode 12 MP at once: at most one is held at a time (a server without the budget
  // held all eight, 72 MP). Each is answered 200, or 503 when it waited over a second.
  Served s(serving::ServerOptions().max_image_pixels(10'000'000).max_decoding_pixels(12'000'000).threads(8));
  std::vector<float> px(3000 * 3000, 1.0f);
  for (int y = 500; y < 2500; ++y)
    for (int x = 1400; x < 1600; ++x) px[static_cast<size_t>(y * 3000 + x)] = 0.0f;
  const std::string png = vision::encode_png(Tensor::from_vector({3000, 3000}, px));
  std::atomic<int> ok{0}, busy{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i)
    clients.emplace_back([&] {
      auto c = s.client();
      httplib::MultipartFormDataItems form{{"images", png, "big.png", "image/png"}};
      auto r = c.Post("/", form);
      if (r && r->status == 200 && json::parse(r->body)["predicted_label"].is_string()) ++ok;
      if (r && r->status == 503 && r->body.find("decoding other images") != std::string::npos) ++busy;
    });
  for (auto& t : clients) t.join();
  CHECK(ok >= 1);
  CHECK(ok + busy == 8);
  auto c = s.client();
  const std::string m = c.Get("/metrics")->body;
  const std::string key = "\nnn_decoding_pixels_peak ";
  const size_t at = m.find(key);
  REQUIRE(at != std::string::npos);
  const double peak = std::stod(m.substr(at + key.size()));
  CHECK(peak == 9e6);
}

TEST_CASE("the server reads the model's input signature: any input shape, and images through a named transform") {
  // A model of 12 inputs (3 x 4), not MNIST's 784: TF Serving's and KServe's JSON take 12 numbers;
  // an image file is refused saying why (the 'mnist' transform makes 28x28 images).
  test::TempDir dir("nn_signature");
  manual_seed(4);
  Sequential small;
  small.add(Input({3, 4}));
  small.add<Flatten>();
  small.add<Dense>(5, "softmax");
  small.compile("sgd", "sparse_categorical_crossentropy");
  small.save(dir / "small.nn");
  Served s(serving::ServerOptions().model_file(dir / "small.nn"));
  auto c = s.client();
  std::vector<float> x(12);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 12.0f;
  const json reply = post(c, "/v1/models/mnist:predict", {{"instances", {x}}}, 200);
  const std::vector<float> want = small.predict(Tensor::from_vector({1, 3, 4}, x)).to_vector();
  check_rows(reply["predictions"], want);
  const json k = post(c, "/v2/models/mnist/infer",
                      {{"inputs", {{{"name", "x"}, {"shape", {1, 12}}, {"datatype", "FP32"}, {"data", x}}}}}, 200);
  CHECK(k["outputs"][0]["shape"] == json({1, 5}));
  CHECK(get(c, "/v1/models/mnist/metadata", 200).dump().find("\"size\":\"3\"") != std::string::npos);
  const json refused = post(c, "/v1/models/mnist:predict", {{"instances", {{{"b64", base64(digit_png())}}}}}, 400);
  CHECK(refused["error"].get<std::string>().find("the model takes inputs of shape (3, 4), and the image transform "
                                                 "'mnist' makes 28x28 images") != std::string::npos);
  CHECK(post(c, "/", {{"image", x}}, 200)["predicted_label"].is_string());  // the seeds' JSON: 12 numbers here
  // With the transform 'none', an MNIST model takes numbers only.
  Served plain(serving::ServerOptions().image_transform("none"));
  auto pc = plain.client();
  const json none = post(pc, "/v1/models/mnist:predict", {{"instances", {{{"b64", base64(digit_png())}}}}}, 400);
  CHECK(none["error"].get<std::string>().find("this server takes no image files") != std::string::npos);
  post(pc, "/v1/models/mnist:predict", {{"instances", {digit_values(1)}}}, 200);
  CHECK_THROWS_WITH_AS(serving::Server(serving::ServerOptions().model_file(dir / "small.nn").image_transform("sepia")),
                       doctest::Contains("unknown image transform 'sepia'"), std::invalid_argument);
}

TEST_CASE("the API key, from any of three headers") {
  Served s(serving::ServerOptions().api_key("s3cret"));
  auto c = s.client();
  const json body{{"instances", {digit_values(6)}}};
  auto predict = [&](const httplib::Headers& h) {
    auto r = c.Post("/v1/models/mnist:predict", h, body.dump(), "application/json");
    REQUIRE(r);
    return r->status;
  };
  CHECK(predict({}) == 401);
  CHECK(predict({{"Authorization", "Bearer wrong"}}) == 401);
  CHECK(predict({{"X-Api-Key", "s3cre"}}) == 401);
  CHECK(predict({{"Authorization", "s3cret"}}) == 200);
  CHECK(predict({{"Authorization", "Bearer s3cret"}}) == 200);
  CHECK(predict({{"X-Api-Key", "s3cret"}}) == 200);
  CHECK(get(c, "/healthz", 200)["status"] == "ok");
  auto page = c.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->body.find("<canvas id=\"pad\"") != std::string::npos);
  get(c, "/metrics", 401);
  Served open;
  bool announced = false;
  std::lock_guard<std::mutex> lock(open.log_mutex);
  for (const auto& line : open.log) announced = announced || line.find("no API key") != std::string::npos;
  CHECK(announced);
}

TEST_CASE("the training report beside the served model: 404 until one is written, then served as it is") {
  Served s(serving::ServerOptions().api_key("s3cret"));  // public, as the page that links it
  auto c = s.client();
  auto missing = c.Get("/report");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(json::parse(missing->body)["error"].get<std::string>().find("no training report") != std::string::npos);
  const std::string page = "<!doctype html><title>a report</title>";
  std::ofstream(s.dir / "report.html", std::ios::binary) << page;  // written while the server runs
  auto found = c.Get("/report");
  REQUIRE(found);
  CHECK(found->status == 200);
  CHECK(found->body == page);
  CHECK(found->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(found->get_header_value("Content-Security-Policy").find("default-src 'none'") != std::string::npos);
  auto head = c.Head("/report");
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
  std::filesystem::remove(s.dir / "report.html");
  std::filesystem::create_directory(s.dir / "report.html");  // not a file: still none
  auto dir = c.Get("/report");
  REQUIRE(dir);
  CHECK(dir->status == 404);
}

TEST_CASE("with numbered versions, the report served is the served version's") {
  test::TempDir base("nn_versions");
  fs::create_directories(base / "1");
  small_model(11).save(base / "1/model.nn");
  std::ofstream(base / "1/report.html") << "version 1's report";
  Served s(serving::ServerOptions().model_dir(base.path.string()).poll_seconds(0.05));
  auto c = s.client();
  auto first = c.Get("/report");
  REQUIRE(first);
  CHECK(first->body == "version 1's report");
  fs::create_directories(base / "2");
  std::ofstream(base / "2/report.html") << "version 2's report";
  small_model(22).save(base / "2/model.nn");
  for (int i = 0; i < 100 && get(c, "/healthz", 200)["version"] != 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto second = c.Get("/report");
  REQUIRE(second);
  CHECK(second->body == "version 2's report");
}

TEST_CASE("request smuggling and framing: each case gets exactly one answer of the right status") {
  Served s;
  const std::string smuggled = "GET /v1/models/SMUGGLED HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string cl = "Content-Length: " + std::to_string(smuggled.size()) + "\r\n";
  struct Case {
    const char* name;
    std::string bytes;
    std::vector<int> statuses;
  };
  const std::vector<Case> cases = {
      // A body on a method without one is read by its framing, never taken for a request.
      {"GET with a body", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + cl + "\r\n" + smuggled, {200}},
      {"OPTIONS with a body", "OPTIONS / HTTP/1.1\r\nHost: x\r\n" + cl + "\r\n" + smuggled, {404}},
      {"HEAD with a body", "HEAD /healthz HTTP/1.1\r\nHost: x\r\n" + cl + "\r\n" + smuggled, {200}},
      // Two framings, or one spelled so that parsers disagree on it.
      {"CL.TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", {400}},
      {"TE.CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", {400}},
      {"TE.TE, twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n", {400}},
      {"TE.TE, obfuscated value", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", {411}},
      {"TE.TE, whitespace before the colon", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", {400}},
      {"TE on a GET", "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {411}},
      {"TE, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", {411}},
      {"obs-fold", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n 13200\r\n\r\n{", {400}},
      {"two Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", {400}},
      {"a Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}", {400}},
      {"a signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\n{}", {400}},
      // Broken heads: one 400, and the connection closes.
      {"a malformed request line", "GARBAGE\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400}},
      {"a request line without a version", "GET /healthz\r\nHost: x\r\n\r\n", {400}},
      {"bare LF", "GET /healthz HTTP/1.1\nHost: x\n\n", {400}},
      {"a NUL in a header", std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a") + '\0' + "b\r\n\r\n", {400}},
      {"no Host", "GET /healthz HTTP/1.1\r\n\r\n", {400}},
      {"two Hosts", "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", {400}},
      {"an absolute-form target", "GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400}},
      {"an unknown method", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {501}},
      // What is well framed is answered in order, pipelined or not.
      {"two pipelined GETs", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n", {200, 200}},
      {"a POST, then a GET", "POST /v1/models/mnist:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400, 200}},
      {"HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", {-1}},  // answered in HTTP/1.0: see below
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const Exchange e = exchange(s.port, c.bytes, c.bytes.rfind("HEAD ", 0) == 0);
    INFO(e.text);
    if (c.statuses == std::vector<int>{-1}) {  // HTTP/1.0 gets an HTTP/1.0 answer
      CHECK(e.text.rfind("HTTP/1.0 200", 0) == 0);
      continue;
    }
    CHECK(e.statuses == c.statuses);
    CHECK(e.framed);
  }
  // Nothing smuggled reached the router.
  std::lock_guard<std::mutex> lock(s.log_mutex);
  for (const auto& line : s.log) CHECK_MESSAGE(line.find("SMUGGLED") == std::string::npos, line);
}

TEST_CASE("malformed requests are logged and counted with their own address, route and duration") {
  Served s;
  auto c = s.client();
  c.set_keep_alive(true);
  CHECK(c.Get("/healthz")->status == 200);
  // A second later, a malformed request on another connection from another address: its line
  // names that address and the route "malformed", and its duration is its own (a server that
  // timed it from its thread's previous request would report about a second).
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const std::string reply = raw(s.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 1 << 16, nullptr, "127.0.0.7");
  CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
  std::string line;
  {
    std::lock_guard<std::mutex> lock(s.log_mutex);
    for (const auto& l : s.log)
      if (l.find(" 400 ") != std::string::npos) line = l;
  }
  INFO(line);
  CHECK(line.rfind("127.0.0.7 ", 0) == 0);
  const double ms = std::stod(line.substr(line.rfind(' ') + 1));
  CHECK(ms < 500.0);
  const std::string m = c.Get("/metrics")->body;
  CHECK(m.find("nn_http_requests_total{code=\"400\",route=\"malformed\"} 1") != std::string::npos);
  const std::string key = "nn_http_request_duration_seconds_sum{route=\"malformed\"} ";
  const size_t sum = m.find(key);
  REQUIRE(sum != std::string::npos);
  CHECK(std::stod(m.substr(sum + key.size())) < 0.5);
}

TEST_CASE("metrics in Prometheus's format, and an access log line per request") {
  Served s;
  auto c = s.client();
  post(c, "/v1/models/mnist:predict", {{"instances", {digit_values(7), digit_values(8)}}}, 200);
  post(c, "/v1/models/mnist:predict", {{"instances", "x"}}, 400);
  auto r = c.Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type").find("text/plain") == 0);
  const std::string& m = r->body;
  CHECK(m.find("nn_http_requests_total{code=\"200\",route=\"tf_predict\"} 1") != std::string::npos);
  CHECK(m.find("nn_http_requests_total{code=\"400\",route=\"tf_predict\"} 1") != std::string::npos);
  CHECK(m.find("nn_http_request_duration_seconds_bucket{route=\"tf_predict\",le=\"0.001\"}") != std::string::npos);
  CHECK(m.find("nn_batch_size_count 1") != std::string::npos);
  CHECK(m.find("nn_predictions_total 2") != std::string::npos);
  CHECK(m.find("nn_model_version{model=\"mnist\"} 1") != std::string::npos);
  int predict_lines = 0;
  std::lock_guard<std::mutex> lock(s.log_mutex);
  for (const auto& line : s.log) predict_lines += line.find("POST /v1/models/mnist:predict") != std::string::npos;
  CHECK(predict_lines == 2);
}

TEST_CASE("requests that arrive together run as one batch - without batching, one by one") {
  for (bool batching : {true, false}) {
    CAPTURE(batching);
    Served s(serving::ServerOptions().batching(batching).batch_timeout_us(50000).max_batch_size(64).threads(16));
    std::vector<std::thread> clients;
    std::atomic<int> good{0};
    for (int i = 0; i < 12; ++i)
      clients.emplace_back([&, i] {
        auto c = s.client();
        auto r = c.Post("/v1/models/mnist:predict", json{{"instances", {digit_values(i)}}}.dump(), "application/json");
        good += r && r->status == 200;
      });
    for (auto& t : clients) t.join();
    CHECK(good == 12);
    auto c = s.client();
    const std::string m = c.Get("/metrics")->body;
    const auto count_at = m.find("nn_batch_size_count ");
    REQUIRE(count_at != std::string::npos);
    const int batches = std::stoi(m.substr(count_at + 20));
    if (batching) CHECK(batches < 12);
    else CHECK(batches == 12);
  }
}

TEST_CASE("more keep-alive clients than threads: a waiting connection is not starved") {
  // Two threads, six clients that each keep their connection alive and make ten requests with a
  // pause between them (1.35 s of pauses each): a connection gives up its thread when others wait,
  // so every client has its first answer before any client has its last. A server that kept a
  // thread per connection would answer clients 3 to 6 only after 1 and 2 had finished. (Order of
  // completion, not time: the test holds however slow the machine is.)
  Served s(serving::ServerOptions().threads(2));
  std::atomic<int> ok{0};
  std::atomic<int> answered{0};  // answers so far, all clients together
  std::vector<int> first(6, -1), last(6, -1);
  std::vector<std::thread> clients;
  for (int i = 0; i < 6; ++i)
    clients.emplace_back([&, i] {
      auto c = s.client();
      c.set_keep_alive(true);
      const std::string body = json{{"instances", {digit_values(i)}}}.dump();
      for (int k = 0; k < 10; ++k) {
        auto r = c.Post("/v1/models/mnist:predict", body, "application/json");
        if (r && r->status == 200) ++ok;
        const int order = answered++;
        if (k == 0) first[static_cast<size_t>(i)] = order;
        if (k == 9) last[static_cast<size_t>(i)] = order;
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
      }
    });
  for (auto& t : clients) t.join();
  CHECK(ok == 60);
  const int latest_first = *std::max_element(first.begin(), first.end());
  const int earliest_last = *std::min_element(last.begin(), last.end());
  INFO("first answers at ", latest_first, ", the earliest last answer at ", earliest_last);
  CHECK(latest_first < earliest_last);
}

TEST_CASE("full queues answer 503 at once") {
  SUBCASE("the model's queue") {
    Served s(serving::ServerOptions().max_enqueued(4).batch_timeout_us(300000).threads(8));
    std::vector<std::thread> clients;
    std::atomic<int> ok{0}, busy{0};
    for (int i = 0; i < 6; ++i)
      clients.emplace_back([&, i] {
        auto c = s.client();
        auto r = c.Post("/v1/models/mnist:predict", json{{"instances", {digit_values(i), digit_values(i + 1), digit_values(i + 2)}}}.dump(),
                        "application/json");
        if (r && r->status == 200) ++ok;
        if (r && r->status == 503 && r->body.find("overloaded") != std::string::npos) ++busy;
      });
    for (auto& t : clients) t.join();
    CHECK(ok >= 1);
    CHECK(busy >= 1);
    CHECK(ok + busy == 6);
  }
  SUBCASE("the connections: in all, and from one client") {
    Served s(serving::ServerOptions().max_connections(3).max_connections_per_client(2));
    // Two idle connections from 127.0.0.1 are its share: a third from there is answered 503 at
    // once, while another client (127.0.0.2) is still served, until the server's three are open.
    const int a = connect_from(s.port, "127.0.0.1"), b = connect_from(s.port, "127.0.0.1");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::string reply = raw(s.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(reply.rfind("HTTP/1.1 503", 0) == 0);
    CHECK_MESSAGE(well_framed(reply), reply);  // its Content-Length is its body's length
    const int c = connect_from(s.port, "127.0.0.2");  // the third connection in all
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    reply = raw(s.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 1 << 16, nullptr, "127.0.0.3");
    CHECK(reply.rfind("HTTP/1.1 503", 0) == 0);
    ::close(c);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    reply = raw(s.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 1 << 16, nullptr, "127.0.0.3");
    CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
    ::close(a);
    ::close(b);
    auto c2 = s.client();
    const std::string m = c2.Get("/metrics")->body;
    CHECK(m.find("nn_overloaded_connections_total 2") != std::string::npos);
  }
}

TEST_CASE("8 clients x 200 requests, 10% malformed: every good request answered correctly") {
  Served s(serving::ServerOptions().threads(8));
  std::vector<std::vector<float>> inputs;
  for (int i = 0; i < 16; ++i) inputs.push_back(digit_values(i));
  const std::vector<float> expected = s.expected(inputs);
  std::atomic<int> right{0}, wrong{0}, refused{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      auto c = s.client();
      for (int i = 0; i < 200; ++i) {
        const int k = (t * 200 + i) % 16;
        if (i % 10 == 3) {  // malformed
          auto r = c.Post("/v1/models/mnist:predict", "{\"instances\": [[1, 2]]}", "application/json");
          (r && r->status == 400 ? refused : wrong)++;
          continue;
        }
        auto r = c.Post("/v1/models/mnist:predict", json{{"instances", {inputs[static_cast<size_t>(k)]}}}.dump(), "application/json");
        bool good = r && r->status == 200;
        if (good) {
          const json p = json::parse(r->body)["predictions"][0];
          for (int j = 0; j < 10; ++j)
            good = good && std::fabs(p[j].get<float>() - expected[static_cast<size_t>(k * 10 + j)]) < 1e-5f;
        }
        (good ? right : wrong)++;
      }
    });
  for (auto& t : clients) t.join();
  CHECK(right == 8 * 180);
  CHECK(refused == 8 * 20);
  CHECK(wrong == 0);
}

TEST_CASE("a new version is swapped in under load without a failed request - a broken one is reported") {
  test::TempDir base("nn_versions");
  Sequential v1 = small_model(11), v2 = small_model(22);
  fs::create_directories(base / "1");
  v1.save(base / "1/model.nn");
  Served s(serving::ServerOptions().model_dir(base.path.string()).poll_seconds(0.05));
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0}, from_v1{0}, from_v2{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t)
    clients.emplace_back([&, t] {
      auto c = s.client();
      const json body{{"inputs", {{{"name", "images"}, {"shape", {1, 784}}, {"datatype", "FP32"}, {"data", digit_values(t)}}}}};
      while (!stop) {
        auto r = c.Post("/v2/models/mnist/infer", body.dump(), "application/json");
        if (!r || r->status != 200) {
          ++failed;
          continue;
        }
        (json::parse(r->body)["model_version"] == "2" ? from_v2 : from_v1)++;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fs::create_directories(base / "2");
  v2.save(base / "2/model.nn");
  auto c = s.client();
  bool swapped = false;
  for (int i = 0; i < 100 && !swapped; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    swapped = get(c, "/v1/models/mnist/versions/2", 200)["model_version_status"][0]["state"] == "AVAILABLE";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(swapped);
  CHECK(failed == 0);
  CHECK(from_v1 > 0);
  CHECK(from_v2 > 0);
  const json status = get(c, "/v1/models/mnist", 200)["model_version_status"];
  CHECK(status[1]["version"] == "1");
  CHECK(status[1]["state"] == "END");
  // A version that fails to load is reported; the previous one keeps serving.
  fs::create_directories(base / "3");
  { std::ofstream(base / "3/model.nn") << "not a model"; }
  json v3;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    v3 = get(c, "/v1/models/mnist", 200)["model_version_status"][0];
    if (v3["version"] == "3" && v3["state"] == "END") break;
  }
  CHECK(v3["version"] == "3");
  CHECK(v3["status"]["error_code"] == "UNKNOWN");
  CHECK(v3["status"]["error_message"].get<std::string>().find("not an nn model file") != std::string::npos);
  CHECK(get(c, "/v2/models/mnist", 200)["versions"][0] == "2");
}

TEST_CASE("a server that cannot load its model or bind says why") {
  CHECK_THROWS_WITH_AS(serving::Server(serving::ServerOptions().model_file("/nonexistent/m.nn")),
                       doctest::Contains("/nonexistent/m.nn: cannot open"), std::runtime_error);
  test::TempDir empty;
  CHECK_THROWS_WITH_AS(serving::Server(serving::ServerOptions().model_dir(empty.path.string())),
                       doctest::Contains("no model version could be loaded"), std::runtime_error);
  Served s;
  serving::Server second(serving::ServerOptions().model_file(s.dir / "model.nn").port(s.port));
  CHECK_THROWS_WITH_AS(second.start(), doctest::Contains("cannot listen"), std::runtime_error);
}
