#pragma once
// The HTTP/1.1 server under nn::serving, event-driven on Boost.Asio with Boost.Beast's parser
// and serializer. One I/O thread holds every connection (an idle or slow one costs a socket and a
// small buffer, no thread); requests with a body run their handler on a pool of worker threads,
// the others on the I/O thread. Against slow and hostile clients:
// - deadlines for a whole request, not per read: the head must arrive within head_timeout of its
//   first byte, the body within body_timeout of the head, an answer must be taken by the client
//   within write_timeout, and a kept-alive connection may idle for idle_timeout;
// - at most max_connections connections, and max_connections_per_client from one address; one
//   more is answered 503 and closed;
// - strict framing (http_head.hpp, and here): one Host, at most one Content-Length of digits,
//   Transfer-Encoding refused (411; 400 with a Content-Length or twice), a body on any method read
//   by its Content-Length; a bad request gets one answer and its connection is closed, after the
//   client's remaining bytes are drained for a moment so that the answer is not lost to a reset;
// - every answer counts its Content-Length from its body (Beast's serializer);
// - stop() stops accepting, lets the requests in flight finish and be answered, then closes.
// Every answer, a refused request's included, is reported to the observer with its request as far
// as it was parsed, its client's address and its duration from the request's first byte.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "serving/http_head.hpp"
#include "serving/http_message.hpp"

namespace nn::serving::detail {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  int workers = 8;
  size_t max_connections = 512;
  size_t max_connections_per_client = 128;
  size_t max_body = size_t{10} << 20;
  size_t max_requests_per_connection = 1000;
  HeadLimits head;
  std::chrono::milliseconds head_timeout{5000}, body_timeout{5000}, write_timeout{5000}, idle_timeout{5000};
};

class HttpServer {
 public:
  // Runs a request (on a worker thread when it has a body); an exception becomes a 500.
  using Handler = std::function<void(const Request&, Response&)>;
  // Sees a request's head before its body is read; a status of 400 or more set here refuses it
  // without reading the body, and closes the connection after the answer.
  using HeadFilter = std::function<void(const Request&, Response&)>;
  // Told of every answer just before it is written, with its duration in seconds.
  using Observer = std::function<void(const Request&, const Response&, double)>;

  HttpServer(HttpOptions options, Handler handler, HeadFilter filter, Observer observer);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, starts the I/O thread and the workers; returns the port. Throws when it cannot bind.
  int start();
  // Stops accepting, answers the requests in flight, closes every connection and joins the
  // threads (waits at most about write_timeout for answers still being taken). Idempotent.
  void stop();
  // Connections open now.
  size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nn::serving::detail
