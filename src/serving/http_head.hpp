#pragma once
// The request line and header section of an HTTP/1.1 request, checked byte by byte as they arrive
// under RFC 9112's strict rules, before anything parses them: every line ends in CRLF (a bare CR
// or LF is refused), no control character but a tab inside a line, no obs-fold (a header line
// that starts with a space or tab), a field name of token characters directly followed by its
// colon (`Transfer-Encoding : chunked` is refused, not ignored), and the limits below. Lenient
// parsers differ on exactly these, which is what request smuggling exploits; a refused head gets
// one 400 (414 for a request line over the limit) and its connection is closed.
#include <cstddef>
#include <string>

namespace nn::serving::detail {

struct HeadLimits {
  size_t max_line = 8192;       // the request line, or one header line, in bytes
  size_t max_head = 32 * 1024;  // the request line and header section together
  size_t max_headers = 100;     // header lines
};

class HeadScanner {
 public:
  enum class State { more, done, bad };

  explicit HeadScanner(HeadLimits limits) : limits_(limits) {}
  // Takes the next n bytes of the connection. `done`: the head ends at length() (the blank line
  // included; bytes after it belong to the body or the next request, and were not looked at).
  // `bad`: status() and error() say why.
  State feed(const char* data, size_t n);
  State state() const { return state_; }
  size_t length() const { return length_; }
  int status() const { return status_; }
  const std::string& error() const { return error_; }

 private:
  State fail(int status, std::string message);

  HeadLimits limits_;
  State state_ = State::more;
  size_t length_ = 0;     // bytes taken so far
  size_t line_ = 0;       // bytes in the current line, its CR excluded
  size_t lines_ = 0;      // lines finished, the request line included
  bool cr_ = false;       // the last byte was a CR
  bool in_name_ = false;  // in a header line, before its colon
  int status_ = 0;
  std::string error_;
};

}  // namespace nn::serving::detail
