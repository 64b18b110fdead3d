// The HTTP layer: routing, the API key, request limits, JSON errors, the access log and metrics.
#include "nn/serving/server.hpp"

#include <sodium.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "serving/context.hpp"
#include "serving/guarded_http.hpp"
#include "util/decimal.hpp"

namespace nn::serving {

using detail::RequestError;
using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;
thread_local Clock::time_point t_started;
thread_local const char* t_route = "other";

// Constant-time comparison of a presented key with the configured one (hashed first, so neither
// the content nor the length leaks through timing).
bool same_key(const std::string& given, const std::string& key) {
  unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(given.data()), given.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

bool authorized(const httplib::Request& req, const std::string& key) {
  if (key.empty()) return true;
  const std::string auth = req.get_header_value("Authorization");
  if (!auth.empty() && (same_key(auth, key) || (auth.rfind("Bearer ", 0) == 0 && same_key(auth.substr(7), key))))
    return true;
  const std::string api_key = req.get_header_value("X-Api-Key");
  return !api_key.empty() && same_key(api_key, key);
}

const char* status_text(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Bad Request";
  }
}


}  // namespace

struct Server::Impl {
  detail::Context ctx;
  std::unique_ptr<detail::GuardedServer> http;
  std::thread listener;
  int port = -1;
  std::mutex mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;

  void log(const std::string& line) const {
    if (ctx.options.log()) ctx.options.log()(line);
    else std::fprintf(stderr, "%s\n", line.c_str());
  }

  // Refuses what cpp-httplib 0.11.4 would otherwise read without a limit, before the body is read.
  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res) {
    t_started = Clock::now();
    t_route = "other";
    auto refuse = [&](int status, const std::string& message) {
      detail::reply_error(res, status, message);
      res.set_header("Connection", "close");
      detail::close_after_response() = true;  // the body, if any, is not read
      return httplib::Server::HandlerResponse::Handled;
    };
    if (req.has_header("Transfer-Encoding"))
      return refuse(411, "Transfer-Encoding is not accepted; send the body with a Content-Length");
    // cpp-httplib inflates gzip and brotli bodies with no limit on the inflated size (a small
    // body can expand to gigabytes); only identity bodies are accepted.
    if (req.has_header("Content-Encoding")) {
      std::string encoding = req.get_header_value("Content-Encoding");
      for (char& c : encoding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (req.get_header_value_count("Content-Encoding") > 1 || encoding != "identity")
        return refuse(415, "Content-Encoding '" + req.get_header_value("Content-Encoding") +
                               "' is not accepted; send the body uncompressed");
    }
    const size_t lengths = req.get_header_value_count("Content-Length");
    if (lengths > 1) return refuse(400, "more than one Content-Length header");
    const bool has_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (has_body && lengths == 0) return refuse(411, "a request body needs a Content-Length");
    if (lengths == 1) {
      const int64_t n = nn::detail::parse_decimal(req.get_header_value("Content-Length")).value_or(-1);
      if (n < 0) return refuse(400, "malformed Content-Length");
      if (n > ctx.options.max_body_bytes())
        return refuse(413, fmt::format("the body of {} bytes is larger than the limit of {}", n, ctx.options.max_body_bytes()));
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void dispatch(const httplib::Request& req, httplib::Response& res) {
    static const std::regex tf_predict(R"(/v1/models/([^/:]+)(?:/versions/([^/:]+))?:(predict|classify|regress))");
    static const std::regex tf_get(R"(/v1/models(?:/([^/:]+))?(?:/versions/([^/:]+))?(/metadata)?)");
    static const std::regex kserve(R"(/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?)");
    std::smatch m;
    const std::string& path = req.path;
    const bool get = req.method == "GET" || req.method == "HEAD", post = req.method == "POST";
    try {
      if (get && path == "/") {
        t_route = "page";
        res.set_content(detail::page_html(), "text/html; charset=utf-8");
        return;
      }
      if (get && (path == "/healthz" || path == "/v2/health/live" || path == "/v2/health/ready")) {
        t_route = "health";
        if (path == "/healthz") detail::reply_json(res, 200, json{{"status", "ok"}, {"version", ctx.store->current()->version}});
        else res.status = 200;
        return;
      }
      if (!authorized(req, ctx.options.api_key())) {
        t_route = "unauthorized";
        res.set_header("WWW-Authenticate", "Bearer");
        throw RequestError(401, "missing or wrong API key (send Authorization: Bearer KEY or X-Api-Key: KEY)");
      }
      if (get && path == "/metrics") {
        t_route = "metrics";
        res.set_content(ctx.metrics->text(), "text/plain; version=0.0.4");
        return;
      }
      if (post && path == "/") {
        t_route = "seed_predict";
        return detail::seed_predict(ctx, req, res);
      }
      if (std::regex_match(path, m, tf_predict)) {
        t_route = "tf_predict";
        if (!post) throw RequestError(405, "use POST for :" + m[3].str());
        if (m[3] != "predict") throw RequestError(400, "this model exports a predict signature only (no " + m[3].str() + ")");
        return detail::tf_predict(ctx, req, res, m[1], m[2]);
      }
      if (path.rfind("/v1/", 0) == 0 && std::regex_match(path, m, tf_get)) {
        t_route = m[3].matched ? "tf_metadata" : "tf_status";
        if (!get) throw RequestError(405, "use GET for model status and metadata");
        if (!m[1].matched) throw RequestError(400, "Missing model name in request.");
        if (m[3].matched) return detail::tf_metadata(ctx, req, res, m[1], m[2]);
        return detail::tf_status(ctx, req, res, m[1], m[2]);
      }
      if (path.rfind("/v1/", 0) == 0) throw RequestError(400, "Malformed request: " + req.method + " " + path);
      if (get && (path == "/v2" || path == "/v2/")) {
        t_route = "kserve_metadata";
        return detail::kserve_server_metadata(ctx, res);
      }
      if (std::regex_match(path, m, kserve)) {
        const std::string tail = m[3];
        t_route = tail == "/infer" ? "kserve_infer" : tail == "/ready" ? "kserve_ready" : "kserve_metadata";
        if (tail == "/infer") {
          if (!post) throw RequestError(405, "use POST for infer");
          return detail::kserve_infer(ctx, req, res, m[1], m[2]);
        }
        if (!get) throw RequestError(405, "use GET here");
        if (tail == "/ready") return detail::kserve_ready(ctx, res, m[1], m[2]);
        return detail::kserve_model_metadata(ctx, res, m[1], m[2]);
      }
      throw RequestError(404, "no such resource: " + req.method + " " + path);
    } catch (const RequestError& e) {
      detail::reply_error(res, e.status(), e.what());
    }
  }

  // POST bodies are read here rather than by httplib, which would parse a form-encoded body as
  // query parameters and refuse one over 8 KiB: `curl -d @request.json`, as TF Serving's own
  // examples send JSON, uses that content type. Multipart forms are collected into req.files.
  void dispatch_post(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& content) {
    httplib::Request full = req;
    bool ok = true;
    if (req.is_multipart_form_data()) {
      const size_t max_parts = 64;
      httplib::MultipartFormDataMap::iterator part_at = full.files.end();
      ok = content(
          [&](const httplib::MultipartFormData& part) {
            if (full.files.size() >= max_parts) return false;
            part_at = full.files.emplace(part.name, part);
            return true;
          },
          [&](const char* data, size_t n) {
            if (part_at == full.files.end()) return false;
            part_at->second.content.append(data, n);
            return true;
          });
    } else {
      ok = content([&](const char* data, size_t n) {
        full.body.append(data, n);
        return true;
      });
    }
    if (!ok) {
      // The body was not read to its end: answer, then close the connection.
      detail::close_after_response() = true;
      const int status = res.status >= 400 && res.status < 500 ? res.status : 400;
      t_route = "malformed";
      detail::reply_error(res, status, status == 413 ? "the request body is larger than the limit"
                                                     : "malformed request body (a multipart form that cannot be parsed, "
                                                       "more than 64 parts, or a body cut short)");
      return;
    }
    dispatch(full, res);
  }

  void access_log(const httplib::Request& req, const httplib::Response& res) {
    const double seconds = std::chrono::duration<double>(Clock::now() - t_started).count();
    ctx.metrics->request(t_route, res.status, seconds);
    log(fmt::format("{} {} {} {} {} {:.2f}ms", req.remote_addr, req.method, req.path, res.status, res.body.size(),
                    seconds * 1000.0));
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  if (sodium_init() < 0) throw std::runtime_error("serve: cannot initialise libsodium");
  detail::Context& c = impl_->ctx;
  c.options = std::move(options);
  const ServerOptions& o = c.options;
  if (o.max_body_bytes() < 1 || o.max_instances() < 1 || o.max_image_pixels() < 1 || o.threads() < 1 ||
      o.max_queued_connections() < 1 || o.timeout_seconds() < 1)
    throw std::invalid_argument("serve: limits, threads and timeouts must be positive");
  c.limits.max_instances = o.max_instances();
  c.limits.max_image_pixels = o.max_image_pixels();
  c.metrics = std::make_unique<detail::Metrics>(o.model_name());
  Impl* impl = impl_.get();
  c.store = std::make_unique<detail::ModelStore>(o.model_file(), o.model_dir(), o.poll_seconds(), [impl](const std::string& m) {
    impl->log(m);
    if (auto s = impl->ctx.store ? impl->ctx.store->current() : nullptr) impl->ctx.metrics->model_version(s->version);
  });
  c.metrics->model_version(c.store->current()->version);
  detail::BatchingOptions b;
  b.enabled = o.batching();
  b.max_batch_size = o.max_batch_size();
  b.timeout_us = o.batch_timeout_us();
  b.max_enqueued = o.max_enqueued();
  c.batcher = std::make_unique<detail::Batcher>(b, [impl](int64_t rows, int64_t queued) {
    impl->ctx.metrics->batch(rows, queued);
  });
}

Server::~Server() { stop(); }

int Server::start() {
  Impl& i = *impl_;
  const ServerOptions& o = i.ctx.options;
  i.http = std::make_unique<detail::GuardedServer>(detail::HeadLimits{});
  auto& http = *i.http;
  const auto threads = static_cast<size_t>(o.threads());
  const auto queued = static_cast<size_t>(o.max_queued_connections());
  http.new_task_queue = [threads, queued, &http] { return new detail::BoundedTaskQueue(threads, queued, http.waiting); };
  http.on_overloaded = [&i] { i.ctx.metrics->overloaded(); };
  http.set_payload_max_length(static_cast<size_t>(o.max_body_bytes()));
  http.set_read_timeout(o.timeout_seconds(), 0);
  http.set_write_timeout(o.timeout_seconds(), 0);
  http.set_keep_alive_timeout(o.timeout_seconds());
  http.set_keep_alive_max_count(100);
  http.set_tcp_nodelay(true);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, with which a second server on
  // the same port would start without an error and take half of the first one's connections.
  http.set_socket_options([](int sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  http.set_pre_routing_handler([&i](const httplib::Request& req, httplib::Response& res) { return i.pre_route(req, res); });
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    auto handler = [&i](const httplib::Request& req, httplib::Response& res) { i.dispatch(req, res); };
    const std::string m = method;
    if (m == "GET") http.Get(".*", handler);
    else if (m == "POST") http.Post(".*", [&i](const httplib::Request& req, httplib::Response& res,
                                             const httplib::ContentReader& content) { i.dispatch_post(req, res, content); });
    else if (m == "PUT") http.Put(".*", handler);
    else if (m == "DELETE") http.Delete(".*", handler);
    else if (m == "PATCH") http.Patch(".*", handler);
    else http.Options(".*", handler);
  }
  // Errors httplib answers itself (a malformed request line or header, a body over the limit)
  // get a JSON body too; an exception in a handler is a bug: 500.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) detail::reply_error(res, res.status, status_text(res.status));
  });
  http.set_exception_handler([&i](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    i.log("internal error: " + what);
    detail::reply_error(res, 500, "internal error: " + what);
  });
  // Counted and logged just before the response is written (httplib's logger runs after it, so a
  // client could read /metrics before its previous request was counted).
  http.set_post_routing_handler([&i](const httplib::Request& req, httplib::Response& res) { i.access_log(req, res); });
  if (o.port() == 0) {
    i.port = http.bind_to_any_port(o.host());
  } else if (http.bind_to_port(o.host(), o.port())) {
    i.port = o.port();
  }
  if (i.port <= 0) throw std::runtime_error(fmt::format("serve: cannot listen on {}:{}", o.host(), o.port()));
  auto returned = std::make_shared<std::atomic<bool>>(false);
  i.listener = std::thread([&http, returned] {
    http.listen_after_bind();
    *returned = true;  // stopped, or failed to start
  });
  // httplib's stop() does nothing until the listener has started; wait for that, so that a
  // server stopped straight after start() does not leave its listener blocked in accept().
  while (!http.is_running() && !*returned) std::this_thread::sleep_for(std::chrono::microseconds(200));
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
  if (i.http) i.http->stop();
  if (i.listener.joinable()) i.listener.join();
  {
    std::lock_guard<std::mutex> lock(i.mutex);
    i.stopped = true;
  }
  i.stopped_cv.notify_all();
}

int Server::port() const { return impl_->port; }

}  // namespace nn::serving
