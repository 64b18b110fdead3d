#include "serving/guarded_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace nn::serving::detail {
namespace {

thread_local bool t_reject_connection = false;  // set by BoundedTaskQueue when it is full
thread_local bool t_close_after_response = false;

bool wait_fd(int fd, short events, time_t sec, time_t usec) {
  pollfd p{fd, events, 0};
  const int ms = static_cast<int>(sec * 1000 + usec / 1000);
  for (;;) {
    const int r = ::poll(&p, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                     : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (r != 0) return;
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    port = ntohs(a->sin6_port);
  }
  ip = buf;
}

// A socket stream that enforces HeadLimits while httplib reads a request's line and headers.
class LimitedStream final : public httplib::Stream {
 public:
  LimitedStream(int fd, HeadLimits limits, time_t rs, time_t rus, time_t ws, time_t wus)
      : fd_(fd), limits_(limits), rs_(rs), rus_(rus), ws_(ws), wus_(wus) {}

  void begin_request() {
    in_head_ = true;
    line_ = head_ = lines_ = 0;
    last_ = 0;
  }
  bool violated() const { return violated_; }
  // Whether the request line itself was too long (no header line read yet).
  bool wrote() const { return wrote_; }
  bool has_buffered() const { return pos_ < end_; }

  bool is_readable() const override { return pos_ < end_ || wait_fd(fd_, POLLIN, rs_, rus_); }
  bool is_writable() const override { return wait_fd(fd_, POLLOUT, ws_, wus_); }

  ssize_t read(char* ptr, size_t size) override {
    if (violated_) return -1;
    if (pos_ == end_ && !fill()) return eof_ ? 0 : -1;
    size_t n = std::min(size, end_ - pos_);
    if (in_head_) {
      for (size_t i = 0; i < n; ++i) {  // stop at the end of the header section
        const char c = buf_[pos_ + i];
        ++head_;
        if (c == '\n') {
          if (line_ == 0 || (line_ == 1 && last_ == '\r')) {  // an empty line: the headers end here
            in_head_ = false;
            n = i + 1;
            break;
          }
          line_ = 0;
          if (++lines_ > limits_.max_headers) return refuse();
        } else {
          ++line_;
        }
        last_ = c;
        if (line_ > limits_.max_line || head_ > limits_.max_head) return refuse();
      }
    }
    std::memcpy(ptr, buf_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    wrote_ = true;
    if (!wait_fd(fd_, POLLOUT, ws_, wus_)) return -1;
    for (;;) {
      const ssize_t r = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

 private:
  ssize_t refuse() {
    violated_ = true;
    return -1;
  }
  bool fill() {
    if (!wait_fd(fd_, POLLIN, rs_, rus_)) return false;
    for (;;) {
      const ssize_t r = ::recv(fd_, buf_, sizeof buf_, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) eof_ = true;
      if (r <= 0) return false;
      pos_ = 0;
      end_ = static_cast<size_t>(r);
      return true;
    }
  }

  int fd_;
  HeadLimits limits_;
  time_t rs_, rus_, ws_, wus_;
  char buf_[4096];
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false, violated_ = false, in_head_ = true, wrote_ = false;
  size_t line_ = 0, head_ = 0, lines_ = 0;
  char last_ = 0;
};

void close_socket(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

// A whole answer written without httplib (a refused connection, a request line httplib gave up
// on): a JSON body, its length counted, and the connection closed after it.
std::string closing_answer(std::string_view status, std::string_view body) {
  return fmt::format("HTTP/1.1 {}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
                     status, body.size(), body);
}

}  // namespace

bool& close_after_response() { return t_close_after_response; }

// Waits for the next request on a kept-alive connection: false after the keep-alive timeout, or
// at once when other connections wait for this thread.
bool GuardedServer::wait_next_request(socket_t sock) const {
  const time_t slice_ms = 20;
  for (time_t waited = 0; waited < keep_alive_timeout_sec_ * 1000; waited += slice_ms) {
    if (wait_fd(sock, POLLIN, 0, slice_ms * 1000)) return true;
    if (waiting.load(std::memory_order_relaxed) > 0) return false;
  }
  return false;
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (t_reject_connection) {  // the queue is full: a short 503, without reading the request
    static const std::string kBusy =
        closing_answer("503 Service Unavailable", "{\"error\": \"the server is overloaded; retry in a moment\"}\n");
    if (::send(sock, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      // the client is gone or not reading: nothing more to do
    }
    if (on_overloaded) on_overloaded();
    close_socket(sock);
    return false;
  }
  LimitedStream strm(sock, limits_, read_timeout_sec_, read_timeout_usec_, write_timeout_sec_, write_timeout_usec_);
  bool ret = false;
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    // A new connection gets the whole read timeout for its first request (httplib's reads wait).
    const bool first = left == keep_alive_max_count_;
    if (!first && !strm.has_buffered() && !wait_next_request(sock)) break;
    strm.begin_request();
    t_close_after_response = false;
    bool closed = false;
    ret = process_request(strm, left == 1 || waiting.load(std::memory_order_relaxed) > 0, closed, nullptr);
    if (strm.violated() && !strm.wrote()) {  // httplib gives up on a request line silently
      static const std::string kTooLong =
          closing_answer("414 URI Too Long", "{\"error\": \"the request line is too long\"}\n");
      strm.write(kTooLong.data(), kTooLong.size());
    }
    if (!ret || closed || strm.violated() || t_close_after_response) break;
  }
  close_socket(sock);
  return ret;
}

BoundedTaskQueue::BoundedTaskQueue(size_t threads, size_t max_queued, std::atomic<size_t>& waiting)
    : max_queued_(max_queued), waiting_(waiting) {
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (jobs_.size() < max_queued_) {
      jobs_.push_back(std::move(fn));
      waiting_ = jobs_.size();
      cond_.notify_one();
      return;
    }
  }
  t_reject_connection = true;  // fn is process_and_close_socket: it answers 503 and returns
  fn();
  t_reject_connection = false;
}

void BoundedTaskQueue::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  cond_.notify_all();
  for (auto& t : threads_) t.join();
}

void BoundedTaskQueue::work() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cond_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // shutting down, nothing left
      fn = std::move(jobs_.front());
      jobs_.pop_front();
      waiting_ = jobs_.size();
    }
    fn();
  }
}

}  // namespace nn::serving::detail
