#pragma once
// cpp-httplib 0.11.4 (Debian 12's) with the holes it leaves closed, as its successors do:
// - header lines and header sections are read without a limit (CVE-2025-53628, CVE-2025-52887):
//   GuardedServer reads each connection through LimitedStream, which refuses a request line or
//   header line over max_line bytes, a header section over max_head bytes or max_headers lines
//   (the request then gets 400 and the connection closes) before httplib buffers it;
// - chunked bodies and bodies without Content-Length escape the payload limit (CVE-2025-46728):
//   the server's pre-routing handler refuses them (411) and checks Content-Length (413) before any
//   body is read;
// - its thread pool queues connections without bound: BoundedTaskQueue answers 503 and closes
//   when max_queued connections already wait.
// Keep-alive is handled here too (at most keep_alive_max_count requests a connection, an idle
// connection closed after the keep-alive timeout, and a connection's thread given up, with
// `Connection: close` on its response, when other connections wait for a thread: with one thread
// per connection, more keep-alive clients than threads would otherwise wait for whole idle
// timeouts), and a handler may ask for the connection to close after its response
// (close_after_response()).
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nn::serving::detail {

struct HeadLimits {
  size_t max_line = 8192;       // request line or one header line, bytes
  size_t max_head = 32 * 1024;  // the whole request line and header section
  size_t max_headers = 100;     // header lines
};

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(HeadLimits limits) : limits_(limits) {}
  // Called (on the accepting thread) for a connection refused because the queue was full.
  std::function<void()> on_overloaded;
  // Connections accepted and waiting for a thread (kept by BoundedTaskQueue).
  std::atomic<size_t> waiting{0};

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool wait_next_request(socket_t sock) const;
  HeadLimits limits_;
};

// Set by a handler: the connection closes after this response (e.g. a refused body was not read).
bool& close_after_response();

class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  // waiting: kept equal to the number of queued connections.
  BoundedTaskQueue(size_t threads, size_t max_queued, std::atomic<size_t>& waiting);
  ~BoundedTaskQueue() override;
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void work();
  size_t max_queued_;
  std::atomic<size_t>& waiting_;
  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> jobs_;
  std::mutex mutex_;
  std::condition_variable cond_;
  bool shutdown_ = false;
};

}  // namespace nn::serving::detail
