// The routes over the HTTP layer (http_server.cpp): the API key, request checks, JSON errors, the
// access log and metrics.
#include "nn/serving/server.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>

#include <fmt/format.h>

#include "serving/context.hpp"
#include "serving/http_server.hpp"
#include "util/printable.hpp"

namespace nn::serving {

using detail::Request;
using detail::RequestError;
using detail::Response;
using json = nlohmann::json;

namespace {


// Constant-time comparison of a presented key with the configured one (hashed first, so neither
// the content nor the length leaks through timing).
bool same_key(const std::string& given, const std::string& key) {
  unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(given.data()), given.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

bool authorized(const Request& req, const std::string& key) {
  if (key.empty()) return true;
  const std::string auth = req.header("Authorization");
  if (!auth.empty() && (same_key(auth, key) || (auth.rfind("Bearer ", 0) == 0 && same_key(auth.substr(7), key))))
    return true;
  const std::string api_key = req.header("X-Api-Key");
  return !api_key.empty() && same_key(api_key, key);
}

}  // namespace

struct Server::Impl {
  detail::Context ctx;
  std::unique_ptr<detail::HttpServer> http;
  int port = -1;
  std::mutex mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;

  void log(const std::string& line) const {
    if (ctx.options.log()) ctx.options.log()(line);
    else std::fprintf(stderr, "%s\n", line.c_str());
  }

  // What the HTTP layer leaves to the server, before a body is read: a body needs a length, and
  // only identity bodies are accepted (a compressed one could inflate without a limit).
  void check_head(const Request& req, Response& res) {
    res.route = "malformed";
    if (req.has_header("Content-Encoding")) {
      std::string encoding = req.header("Content-Encoding");
      for (char& c : encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (req.header_count("Content-Encoding") > 1 || encoding != "identity")
        return detail::reply_error(res, 415, "Content-Encoding '" + nn::detail::printable(req.header("Content-Encoding")) +
                                                 "' is not accepted; send the body uncompressed");
    }
    const bool has_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (has_body && !req.has_header("Content-Length")) return detail::reply_error(res, 411, "a request body needs a Content-Length");
    res.route = "unknown";
  }

  void dispatch(const Request& req, Response& res) {
    static const std::regex tf_predict(R"(/v1/models/([^/:]+)(?:/versions/([^/:]+))?:(predict|classify|regress))");
    static const std::regex tf_get(R"(/v1/models(?:/([^/:]+))?(?:/versions/([^/:]+))?(/metadata)?)");
    static const std::regex kserve(R"(/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?)");
    std::smatch m;
    const std::string& path = req.path;
    const bool get = req.method == "GET" || req.method == "HEAD", post = req.method == "POST";
    try {
      if (get && path == "/") {
        res.route = "page";
        res.set_content(detail::page_html(), "text/html; charset=utf-8");
        return;
      }
      if (get && path == "/report") {  // public, as the page that links it
        res.route = "report";
        return detail::report_page(ctx, res);
      }
      if (get && (path == "/healthz" || path == "/v2/health/live" || path == "/v2/health/ready")) {
        res.route = "health";
        if (path == "/healthz") detail::reply_json(res, 200, json{{"status", "ok"}, {"version", ctx.store->current()->version}});
        else res.status = 200;
        return;
      }
      if (!authorized(req, ctx.options.api_key())) {
        res.route = "unauthorized";
        res.set_header("WWW-Authenticate", "Bearer");
        throw RequestError(401, "missing or wrong API key (send Authorization: Bearer KEY or X-Api-Key: KEY)");
      }
      if (get && path == "/metrics") {
        res.route = "metrics";
        ctx.metrics->connections(http->connections());
        ctx.metrics->decoding(ctx.decode_budget->in_use(), ctx.decode_budget->peak());
        res.set_content(ctx.metrics->text(), "text/plain; version=0.0.4");
        return;
      }
      if (post && path == "/") {
        res.route = "seed_predict";
        return with_form(req, res, [&](const Request& r) { detail::seed_predict(ctx, r, res); });
      }
      if (std::regex_match(path, m, tf_predict)) {
        res.route = "tf_predict";
        if (!post) throw RequestError(405, "use POST for :" + m[3].str());
        if (m[3] != "predict") throw RequestError(400, "this model exports a predict signature only (no " + m[3].str() + ")");
        return detail::tf_predict(ctx, req, res, m[1], m[2]);
      }
      if (path.rfind("/v1/", 0) == 0 && std::regex_match(path, m, tf_get)) {
        res.route = m[3].matched ? "tf_metadata" : "tf_status";
        if (!get) throw RequestError(405, "use GET for model status and metadata");
        if (!m[1].matched) throw RequestError(400, "Missing model name in request.");
        if (m[3].matched) return detail::tf_metadata(ctx, req, res, m[1], m[2]);
        return detail::tf_status(ctx, req, res, m[1], m[2]);
      }
      if (path.rfind("/v1/", 0) == 0)
        throw RequestError(400, "Malformed request: " + req.method + " " + nn::detail::printable(path));
      if (get && (path == "/v2" || path == "/v2/")) {
        res.route = "kserve_metadata";
        return detail::kserve_server_metadata(ctx, res);
      }
      if (std::regex_match(path, m, kserve)) {
        const std::string tail = m[3];
        res.route = tail == "/infer" ? "kserve_infer" : tail == "/ready" ? "kserve_ready" : "kserve_metadata";
        if (tail == "/infer") {
          if (!post) throw RequestError(405, "use POST for infer");
          return detail::kserve_infer(ctx, req, res, m[1], m[2]);
        }
        if (!get) throw RequestError(405, "use GET here");
        if (tail == "/ready") return detail::kserve_ready(ctx, res, m[1], m[2]);
        return detail::kserve_model_metadata(ctx, res, m[1], m[2]);
      }
      throw RequestError(404, "no such resource: " + req.method + " " + nn::detail::printable(path));
    } catch (const RequestError& e) {
      detail::reply_error(res, e.status(), e.what());
    } catch (const std::exception& e) {  // a bug: 500, and logged
      log(std::string("internal error: ") + e.what());
      detail::reply_error(res, 500, std::string("internal error: ") + e.what());
    }
  }

  // A multipart form's parts are parsed here (at most 64), for the route that takes one.
  template <class Route>
  void with_form(const Request& req, Response& res, Route route) {
    if (!req.is_multipart_form_data()) return route(req);
    Request full = req;
    if (!detail::parse_multipart(full, 64)) {
      res.route = "malformed";
      throw RequestError(400, "malformed request body (a multipart form that cannot be parsed, more than 64 parts, "
                              "or a body cut short)");
    }
    route(full);
  }

  // Every answer, a refused request's included: counted, and logged with the client's address
  // and the time from the request's first byte.
  void access_log(const Request& req, const Response& res, double seconds) {
    ctx.metrics->request(res.route, res.status, seconds);
    if (res.status == 503 && std::string_view(res.route) == "overloaded") ctx.metrics->overloaded();
    log(fmt::format("{} {} {} {} {} {:.2f}ms", req.remote_addr.empty() ? "-" : req.remote_addr,
                    req.method.empty() ? "-" : req.method,
                    req.target.empty() ? "-" : nn::detail::printable(req.target), res.status, res.body.size(),
                    seconds * 1000.0));
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  if (sodium_init() < 0) throw std::runtime_error("serve: cannot initialise libsodium");
  detail::Context& c = impl_->ctx;
  c.options = std::move(options);
  const ServerOptions& o = c.options;
  if (o.max_body_bytes() < 1 || o.max_instances() < 1 || o.max_image_pixels() < 1 || o.threads() < 1 ||
      o.max_connections() < 1 || o.max_connections_per_client() < 1 || o.timeout_seconds() < 1 ||
      o.max_decoding_pixels() < 1)
    throw std::invalid_argument("serve: limits, threads and timeouts must be positive");
  c.limits.max_instances = o.max_instances();
  c.limits.max_image_pixels = o.max_image_pixels();
  const auto& transforms = detail::image_transforms();
  if (std::find(transforms.begin(), transforms.end(), o.image_transform()) == transforms.end())
    throw std::invalid_argument("serve: unknown image transform '" + o.image_transform() + "' (mnist or none)");
  c.limits.image_transform = o.image_transform();
  c.decode_budget = std::make_unique<vision::PixelBudget>(o.max_decoding_pixels());
  c.limits.decode_budget = c.decode_budget.get();
  c.limits.decode_wait = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), std::chrono::seconds(o.timeout_seconds()));
  c.metrics = std::make_unique<detail::Metrics>(o.model_name());
  Impl* impl = impl_.get();
  c.store = std::make_unique<detail::ModelStore>(o.model_file(), o.model_dir(), o.poll_seconds(), [impl](const std::string& m) {
    impl->log(m);
    if (auto s = impl->ctx.store ? impl->ctx.store->current() : nullptr) impl->ctx.metrics->model_version(s->version);
  }, o.device(), o.model_loader());
  c.metrics->model_version(c.store->current()->version);
  detail::BatchingOptions b;
  b.enabled = o.batching();
  b.max_batch_size = o.max_batch_size();
  b.timeout_us = o.batch_timeout_us();
  b.max_enqueued = o.max_enqueued();
  b.device = o.device();
  c.batcher = std::make_unique<detail::Batcher>(b, [impl](int64_t rows, int64_t queued) {
    impl->ctx.metrics->batch(rows, queued);
  });
}

Server::~Server() { stop(); }

int Server::start() {
  Impl& i = *impl_;
  const ServerOptions& o = i.ctx.options;
  detail::HttpOptions h;
  h.host = o.host();
  h.port = o.port();
  h.workers = o.threads();
  h.max_connections = static_cast<size_t>(o.max_connections());
  h.max_connections_per_client = static_cast<size_t>(o.max_connections_per_client());
  h.max_body = static_cast<size_t>(o.max_body_bytes());
  h.head_timeout = h.body_timeout = h.write_timeout = h.idle_timeout = std::chrono::seconds(o.timeout_seconds());
  i.http = std::make_unique<detail::HttpServer>(
      h, [&i](const Request& req, Response& res) { i.dispatch(req, res); },
      [&i](const Request& req, Response& res) { i.check_head(req, res); },
      [&i](const Request& req, const Response& res, double seconds) { i.access_log(req, res, seconds); });
  i.port = i.http->start();
  i.log(fmt::format("serving model '{}' version {} on http://{}:{}/{}", o.model_name(), i.ctx.store->current()->version,
                    o.host(), i.port,
                    o.api_key().empty() ? " (no API key: the server is open to anyone who can reach it)" : ""));
  return i.port;
}

void Server::wait() {
  std::unique_lock<std::mutex> lock(impl_->mutex);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped; });
}

void Server::stop() {
  Impl& i = *impl_;
  if (i.http) i.http->stop();  // the requests in flight are answered first
  {
    std::lock_guard<std::mutex> lock(i.mutex);
    i.stopped = true;
  }
  i.stopped_cv.notify_all();
}

int Server::port() const { return impl_->port; }

}  // namespace nn::serving
