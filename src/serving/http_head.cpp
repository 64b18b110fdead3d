#include "serving/http_head.hpp"

#include <fmt/format.h>

namespace nn::serving::detail {
namespace {

// RFC 9110's tchar: the characters of a token (a method or a field name).
bool token_char(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace

HeadScanner::State HeadScanner::fail(int status, std::string message) {
  state_ = State::bad;
  status_ = status;
  error_ = std::move(message);
  return state_;
}

HeadScanner::State HeadScanner::feed(const char* data, size_t n) {
  for (size_t i = 0; i < n && state_ == State::more; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (++length_ > limits_.max_head && lines_ > 0)
      return fail(400, fmt::format("the request's headers are longer than {} bytes", limits_.max_head));
    if (cr_) {
      cr_ = false;
      if (c != '\n') return fail(400, "a CR not followed by LF in the request's head");
      if (line_ == 0) {
        if (lines_ == 0) continue;  // an empty line before the request line is ignored (RFC 9112, 2.2)
        state_ = State::done;       // the blank line: the head ends here
        return state_;
      }
      if (in_name_) return fail(400, "a header line without a colon");
      if (++lines_ > limits_.max_headers + 1)
        return fail(400, fmt::format("more than {} header lines", limits_.max_headers));
      line_ = 0;
      continue;
    }
    if (c == '\r') {
      cr_ = true;
      continue;
    }
    if (c == '\n') return fail(400, "a line that ends in a bare LF (HTTP/1.1 lines end in CRLF)");
    if ((c < 0x20 && c != '\t') || c == 0x7f) return fail(400, "a control character in the request's head");
    if (lines_ > 0) {
      if (line_ == 0) {
        if (c == ' ' || c == '\t') return fail(400, "a folded header line (obs-fold is not accepted)");
        in_name_ = true;
      }
      if (in_name_) {
        if (c == ':') {
          if (line_ == 0) return fail(400, "a header line with an empty name");
          in_name_ = false;
        } else if (!token_char(c)) {
          return fail(400, c == ' ' || c == '\t' ? "whitespace between a header's name and its colon"
                                                 : "a header name with a character that is not allowed");
        }
      }
    }
    if (++line_ > limits_.max_line) {
      if (lines_ == 0) return fail(414, fmt::format("the request line is longer than {} bytes", limits_.max_line));
      return fail(400, fmt::format("a header line is longer than {} bytes", limits_.max_line));
    }
  }
  return state_;
}

}  // namespace nn::serving::detail
