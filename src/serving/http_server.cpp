#include "serving/http_server.hpp"

#include <atomic>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace nn::serving::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string error_body(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool digits_only(beast::string_view s) {
  if (s.empty() || s.size() > 18) return false;  // 18 digits: no overflow
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool known_method(const std::string& m) {
  for (const char* k : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
    if (m == k) return true;
  return false;
}

}  // namespace

class Session;

// What the sessions share with the server.
struct Shared {
  HttpOptions options;
  HttpServer::Handler handler;
  HttpServer::HeadFilter filter;
  HttpServer::Observer observer;
  net::thread_pool* workers = nullptr;
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;  // guards what follows
  size_t connections = 0;
  std::unordered_map<std::string, size_t> per_client;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Shared& shared, tcp::socket socket, std::string address, bool admitted)
      : s_(shared), stream_(std::move(socket)), address_(std::move(address)), admitted_(admitted),
        buffer_(shared.options.head.max_head + 4096), scanner_(shared.options.head) {}

  ~Session() {
    if (!admitted_) return;
    std::lock_guard<std::mutex> lock(s_.mutex);
    --s_.connections;
    if (--s_.per_client[address_] == 0) s_.per_client.erase(address_);
    s_.sessions.erase(this);
  }

  void start() {
    if (!admitted_) {  // over a connection limit: one 503, then closed
      first_ = Clock::now();
      req_.remote_addr = address_;
      refuse(503, "too many connections; retry in a moment", "overloaded");
      return;
    }
    {
      std::lock_guard<std::mutex> lock(s_.mutex);
      s_.sessions.emplace(this, weak_from_this());
    }
    next_request();
  }

  // The server is stopping: a connection waiting for a request closes now; one with a request
  // in flight finishes it first.
  void on_stop() {
    if (phase_ == Phase::idle || phase_ == Phase::head || phase_ == Phase::draining) stream_.cancel();
  }

 private:
  enum class Phase { idle, head, body, handler, writing, draining };

  void next_request() {
    if (s_.stopping) return close();
    req_ = Request();
    req_.remote_addr = address_;
    res_ = Response();
    scanner_ = HeadScanner(s_.options.head);
    scanned_ = 0;
    parser_.reset();
    if (buffer_.size() > 0) {  // pipelined: its first bytes are here
      begin_head();
      return scan();
    }
    phase_ = Phase::idle;
    stream_.expires_after(served_ == 0 ? s_.options.head_timeout : s_.options.idle_timeout);
    read_some([self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close();  // idle too long, closed, or stopping: nothing to answer
      self->begin_head();
      self->scan();
    });
  }

  void begin_head() {
    phase_ = Phase::head;
    first_ = Clock::now();
    stream_.expires_after(s_.options.head_timeout);  // for the whole head, from its first byte
  }

  template <class Then>
  void read_some(Then then) {
    const size_t room = buffer_.max_size() - buffer_.size();
    if (room == 0) return then(beast::error_code(http::error::buffer_overflow));
    stream_.async_read_some(buffer_.prepare(std::min<size_t>(room, 16384)),
                            [this, then = std::move(then)](beast::error_code ec, size_t n) mutable {
                              if (!ec) buffer_.commit(n);
                              then(ec);
                            });
  }

  void scan() {
    const auto data = buffer_.data();
    const auto* bytes = static_cast<const char*>(data.data());
    const HeadScanner::State state = scanner_.feed(bytes + scanned_, data.size() - scanned_);
    scanned_ = data.size();
    if (state == HeadScanner::State::bad) return refuse(scanner_.status(), scanner_.error());
    if (state == HeadScanner::State::done) return parse_head();
    read_some([self = shared_from_this()](beast::error_code ec) {
      if (ec == beast::error::timeout)
        return self->refuse(408, fmt::format("the request's head did not arrive within {} ms",
                                             self->s_.options.head_timeout.count()));
      if (ec) return self->close();
      self->scan();
    });
  }

  void parse_head() {
    const size_t n = scanner_.length();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(s_.options.head.max_head + 1));
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // checked below, to answer 413 rather than 400
    beast::error_code ec;
    parser_->put(net::buffer(buffer_.data().data(), n), ec);
    buffer_.consume(n);
    if (ec || !parser_->is_header_done())
      return refuse(400, "malformed request: " + (ec ? ec.message() : std::string("an incomplete head")));
    const auto& h = parser_->get();
    req_.method = std::string(h.method_string());
    req_.target = std::string(h.target());
    for (const auto& f : h) req_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    if (h.version() != 11 && h.version() != 10) return refuse(505, "only HTTP/1.0 and HTTP/1.1 are served");
    if (h.version() == 11 && req_.header_count("Host") != 1)
      return refuse(400, "an HTTP/1.1 request needs exactly one Host header");
    const size_t lengths = req_.header_count("Content-Length"), codings = req_.header_count("Transfer-Encoding");
    if (codings > 0 && lengths > 0) return refuse(400, "both Content-Length and Transfer-Encoding (a request is framed by one)");
    if (codings > 1) return refuse(400, "more than one Transfer-Encoding header");
    if (codings == 1) return refuse(411, "Transfer-Encoding is not accepted; send the body with a Content-Length");
    if (lengths > 1) return refuse(400, "more than one Content-Length header");
    if (lengths == 1 && !digits_only(req_.header("Content-Length"))) return refuse(400, "malformed Content-Length");
    if (!known_method(req_.method)) return refuse(501, "method " + req_.method + " is not served");
    if (!parse_target(req_)) return refuse(400, "malformed request target (an origin-form path, percent-encoded)");
    const uint64_t length = parser_->content_length().value_or(0);
    if (length > s_.options.max_body)
      return refuse(413, fmt::format("the body of {} bytes is larger than the limit of {}", length, s_.options.max_body));
    parser_->body_limit(s_.options.max_body);
    s_.filter(req_, res_);
    if (res_.status >= 400) {
      res_.close = true;  // its body, if any, is not read
      return answer();
    }
    const std::string expect = req_.header("Expect");
    if (!expect.empty()) {
      if (!beast::iequals(expect, "100-continue")) return refuse(417, "only Expect: 100-continue is understood");
      if (!parser_->is_done() && h.version() == 11) {
        phase_ = Phase::body;
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        stream_.expires_after(s_.options.write_timeout);
        net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code e, size_t) {
          if (e) return self->close();
          self->read_body();
        });
        return;
      }
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return dispatch();
    phase_ = Phase::body;
    stream_.expires_after(s_.options.body_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec == beast::error::timeout)
        return self->refuse(408, fmt::format("the request's body did not arrive within {} ms",
                                             self->s_.options.body_timeout.count()));
      if (ec == http::error::body_limit) return self->refuse(413, "the request body is larger than the limit");
      if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
          ec == net::error::connection_reset)
        return self->close();  // the client left before its body was whole: nobody to answer
      if (ec) return self->refuse(400, "malformed request body: " + ec.message());
      self->req_.body = std::move(self->parser_->get().body());
      self->dispatch();
    });
  }

  void run_handler() {
    try {
      s_.handler(req_, res_);
    } catch (const std::exception& e) {
      res_ = Response();
      res_.status = 500;
      res_.set_content(error_body(std::string("internal error: ") + e.what()), "application/json");
    } catch (...) {
      res_ = Response();
      res_.status = 500;
      res_.set_content(error_body("internal error"), "application/json");
    }
  }

  void dispatch() {
    phase_ = Phase::handler;
    stream_.expires_never();
    if (req_.body.empty() && req_.method != "POST") {  // cheap: on the I/O thread
      run_handler();
      return answer();
    }
    net::post(*s_.workers, [self = shared_from_this()] {
      self->run_handler();
      net::post(self->stream_.get_executor(), [self] { self->answer(); });
    });
  }

  // A request refused before it reached a handler: one answer, then the connection closes.
  void refuse(int status, const std::string& message, const char* route = "malformed") {
    res_ = Response();
    res_.status = status;
    res_.route = route;
    res_.close = true;
    res_.set_content(error_body(message), "application/json");
    answer();
  }

  void answer() {
    const bool keep = !res_.close && parser_ && parser_->is_done() && parser_->keep_alive() && !s_.stopping &&
                      served_ + 1 < s_.options.max_requests_per_connection;
    if (s_.observer) s_.observer(req_, res_, std::chrono::duration<double>(Clock::now() - first_).count());
    auto& m = message_.emplace();
    m.version(parser_ && parser_->is_header_done() ? parser_->get().version() : 11);
    m.result(static_cast<unsigned>(res_.status));
    for (const auto& [name, value] : res_.headers) m.insert(name, value);
    if (!res_.content_type.empty()) m.set(http::field::content_type, res_.content_type);
    const bool head = req_.method == "HEAD";
    m.keep_alive(keep);
    if (head) {
      m.content_length(res_.body.size());  // what a GET would send, without the body
    } else {
      m.body() = std::move(res_.body);
      m.prepare_payload();
    }
    phase_ = Phase::writing;
    stream_.expires_after(s_.options.write_timeout);
    http::async_write(stream_, m, [self = shared_from_this(), keep](beast::error_code ec, size_t) {
      self->message_.reset();
      if (ec) return self->close();
      ++self->served_;
      if (keep && !self->s_.stopping) return self->next_request();
      self->linger();
    });
  }

  // Closes after an answer: no more is sent, and what the client still sends (the rest of a
  // refused body) is read and dropped for up to a second, so that the close does not become a
  // reset that could discard the answer before the client has read it.
  void linger() {
    phase_ = Phase::draining;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(1));
    drain(0);
  }

  void drain(size_t drained) {
    if (drained > (size_t{1} << 20)) return close();
    buffer_.clear();
    read_some([self = shared_from_this(), drained](beast::error_code ec) {
      const size_t n = self->buffer_.size();
      if (ec) return self->close();
      self->drain(drained + n);
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  Shared& s_;
  beast::tcp_stream stream_;
  std::string address_;
  bool admitted_;
  beast::flat_buffer buffer_;
  HeadScanner scanner_;
  size_t scanned_ = 0;  // bytes of buffer_ the scanner has seen
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> message_;
  Request req_;
  Response res_;
  Clock::time_point first_ = Clock::now();
  size_t served_ = 0;
  Phase phase_ = Phase::idle;
};

struct HttpServer::Impl {
  Shared shared;  // outlives the I/O context, whose pending handlers hold sessions
  net::io_context ioc{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard;
  tcp::acceptor acceptor{ioc};
  net::steady_timer retry{ioc};
  std::optional<net::thread_pool> workers;
  std::thread io;
  bool started = false, stopped = false;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || shared.stopping) return;
      if (ec) {  // out of descriptors, or the like: try again in a moment rather than spin
        retry.expires_after(std::chrono::milliseconds(50));
        retry.async_wait([this](beast::error_code e) {
          if (!e) accept();
        });
        return;
      }
      admit(std::move(socket));
      accept();
    });
  }

  void admit(tcp::socket socket) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (ec) return;  // gone already
    socket.set_option(tcp::no_delay(true), ec);
    std::string address = peer.address().to_string();
    bool admitted = false;
    {
      std::lock_guard<std::mutex> lock(shared.mutex);
      size_t& mine = shared.per_client[address];
      if (shared.connections < shared.options.max_connections && mine < shared.options.max_connections_per_client) {
        ++shared.connections;
        ++mine;
        admitted = true;
      } else if (mine == 0) {
        shared.per_client.erase(address);
      }
    }
    std::make_shared<Session>(shared, std::move(socket), std::move(address), admitted)->start();
  }
};

HttpServer::HttpServer(HttpOptions options, Handler handler, HeadFilter filter, Observer observer)
    : impl_(std::make_unique<Impl>()) {
  Shared& s = impl_->shared;
  s.options = std::move(options);
  s.handler = std::move(handler);
  s.filter = std::move(filter);
  s.observer = std::move(observer);
}

HttpServer::~HttpServer() { stop(); }

int HttpServer::start() {
  Impl& i = *impl_;
  const HttpOptions& o = i.shared.options;
  beast::error_code ec;
  const auto address = net::ip::make_address(o.host, ec);
  if (ec) throw std::runtime_error(fmt::format("serve: '{}' is not an IP address to listen on", o.host));
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  i.acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only (no SO_REUSEPORT, with which a second server on the same port would start
  // without an error and take half of the first one's connections).
  if (!ec) i.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(endpoint, ec);
  if (!ec) i.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(fmt::format("serve: cannot listen on {}:{} ({})", o.host, o.port, ec.message()));
  const int port = i.acceptor.local_endpoint().port();
  i.workers.emplace(static_cast<size_t>(std::max(1, o.workers)));
  i.shared.workers = &*i.workers;
  i.guard.emplace(i.ioc.get_executor());
  i.accept();
  i.io = std::thread([&i] { i.ioc.run(); });
  i.started = true;
  return port;
}

void HttpServer::stop() {
  Impl& i = *impl_;
  if (!i.started || i.stopped) return;
  i.stopped = true;
  net::post(i.ioc, [&i] {
    i.shared.stopping = true;
    beast::error_code ec;
    i.acceptor.close(ec);
    i.retry.cancel();
    std::vector<std::shared_ptr<Session>> open;
    {
      std::lock_guard<std::mutex> lock(i.shared.mutex);
      for (auto& [_, weak] : i.shared.sessions)
        if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    for (auto& s : open) s->on_stop();
  });
  // The requests in flight are answered; a client that does not take its answer is given up
  // after the write timeout.
  const auto deadline = Clock::now() + i.shared.options.write_timeout + i.shared.options.body_timeout +
                        std::chrono::seconds(1);
  while (connections() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  i.guard.reset();
  i.ioc.stop();
  if (i.io.joinable()) i.io.join();
  i.workers->join();
}

size_t HttpServer::connections() const {
  std::lock_guard<std::mutex> lock(impl_->shared.mutex);
  return impl_->shared.connections;
}

}  // namespace nn::serving::detail
