// libFuzzer target: the whole request path of nn::serving, on any bytes sent over a connection.
// A server with a small model runs in this process; each input is written to a fresh loopback
// connection whose sending side is then closed, and everything the server answers is read back.
// The answers must be a sequence of well-formed HTTP/1.x responses, each with a Content-Length
// that is its body's length, none a 500 (a bug in a handler); and the server must still answer
// a health check afterwards. Inputs holding "HEAD" are skipped: a HEAD answer declares a length
// it does not send, which this check cannot tell from a short body without parsing the requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "nn/nn.hpp"
#include "nn/serving/server.hpp"

namespace {

int g_port = 0;

void start_server() {
  const auto dir = std::filesystem::temp_directory_path() / ("nn_fuzz_connection_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  nn::manual_seed(1);
  nn::Sequential m;
  m.add(nn::Input({1, 28, 28}));
  m.add<nn::Flatten>();
  m.add<nn::Dense>(10, "softmax");
  m.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  m.save(dir / "model.nn");
  static nn::serving::Server server(nn::serving::ServerOptions()
                                        .model_file((dir / "model.nn").string())
                                        .port(0)
                                        .threads(2)
                                        .timeout_seconds(2)
                                        .batch_timeout_us(0)
                                        .max_body_bytes(1 << 20)
                                        .max_image_pixels(1 << 20)  // as fuzz_request: quick decodes
                                        .log([](const std::string&) {}));
  g_port = server.start();
  std::filesystem::remove_all(dir);
}

// Sends bytes on a fresh connection, closes its sending side, returns all that came back.
std::string exchange(std::string_view bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(g_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    // Interrupted by libFuzzer's timer, the connection goes on being made: wait for it.
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (errno != EINTR || ::poll(&p, 1, 10000) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err)
      __builtin_trap();  // the server is gone
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server closed: it answered what it had
    at += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[8192];
  ssize_t n;
  // libFuzzer's timer signal interrupts recv (EINTR; a socket with a receive timeout is not
  // restarted): read on.
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) reply.append(buf, static_cast<size_t>(n));
  if (n < 0 && errno != ECONNRESET) __builtin_trap();  // no answer within 10 s: a hang
  ::close(fd);
  return reply;
}

// Checks that reply is a sequence of well-framed responses; returns how many.
size_t check_answers(std::string_view reply) {
  size_t count = 0;
  while (!reply.empty()) {
    if (reply.substr(0, 7) != "HTTP/1.") __builtin_trap();
    const size_t end = reply.find("\r\n\r\n");
    if (end == std::string_view::npos) __builtin_trap();
    std::string head(reply.substr(0, end));
    for (char& c : head) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (head.size() < 12 || head.compare(9, 3, "500") == 0) __builtin_trap();
    if (head[9] == '1') {  // an interim answer (100 Continue): a head alone
      reply.remove_prefix(end + 4);
      continue;
    }
    const size_t at = head.find("\r\ncontent-length: ");
    if (at == std::string::npos) __builtin_trap();
    const size_t length = std::strtoul(head.c_str() + at + 18, nullptr, 10);
    if (reply.size() - (end + 4) < length) __builtin_trap();  // shorter than it says
    reply.remove_prefix(end + 4 + length);
    ++count;
  }
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_port == 0) start_server();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.find("HEAD") != std::string_view::npos) return 0;
  check_answers(exchange(bytes));
  static unsigned runs = 0;
  if (++runs % 64 == 1) {  // still serving
    const std::string health = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    if (check_answers(health) != 1 || health.rfind("HTTP/1.1 200", 0) != 0) __builtin_trap();
  }
  return 0;
}
