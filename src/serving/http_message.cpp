#include "serving/http_message.hpp"

#include <strings.h>

#include <optional>

namespace nn::serving::detail {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decoded(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The parameters of a header value such as `form-data; name="images"; filename="a.png"`
// (quoted strings unescaped); the first item (before any ';') under the key "".
std::multimap<std::string, std::string> header_params(std::string_view value) {
  std::multimap<std::string, std::string> out;
  size_t i = 0;
  auto item_end = [&](size_t from) {
    bool quoted = false;
    for (size_t k = from; k < value.size(); ++k) {
      if (quoted && value[k] == '\\') ++k;
      else if (value[k] == '"') quoted = !quoted;
      else if (!quoted && value[k] == ';') return k;
    }
    return value.size();
  };
  size_t end = item_end(0);
  out.emplace("", std::string(trim(value.substr(0, end))));
  while (end < value.size()) {
    i = end + 1;
    end = item_end(i);
    const std::string_view item = trim(value.substr(i, end - i));
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(trim(item.substr(0, eq)));
    for (char& c : key) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    std::string_view raw = trim(item.substr(eq + 1));
    std::string v;
    if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
      raw = raw.substr(1, raw.size() - 2);
      for (size_t k = 0; k < raw.size(); ++k) {
        if (raw[k] == '\\' && k + 1 < raw.size()) ++k;
        v += raw[k];
      }
    } else {
      v = std::string(raw);
    }
    out.emplace(std::move(key), std::move(v));
  }
  return out;
}

std::string param_of(const std::multimap<std::string, std::string>& params, const std::string& key) {
  const auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (same_name(k, name)) return v;
  return {};
}

size_t Request::header_count(std::string_view name) const {
  size_t n = 0;
  for (const auto& h : headers) n += same_name(h.first, name);
  return n;
}

bool Request::is_multipart_form_data() const {
  const std::string type = header("Content-Type");
  return type.size() >= 19 && same_name(std::string_view(type).substr(0, 19), "multipart/form-data");
}

std::string Request::param(const std::string& key) const { return param_of(params, key); }

bool parse_target(Request& req) {
  const std::string_view target = req.target;
  if (target.empty() || target.front() != '/') return false;
  const size_t q = target.find('?');
  auto path = percent_decoded(target.substr(0, q), false);
  if (!path) return false;
  req.path = std::move(*path);
  req.params.clear();
  if (q == std::string_view::npos) return true;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto key = percent_decoded(pair.substr(0, eq), true);
    auto value = percent_decoded(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key || !value) return false;
    req.params.emplace(std::move(*key), std::move(*value));
  }
  return true;
}

bool parse_multipart(Request& req, size_t max_parts) {
  const std::string boundary = param_of(header_params(req.header("Content-Type")), "boundary");
  if (boundary.empty() || boundary.size() > 70) return false;  // RFC 2046: 1 to 70 characters
  const std::string_view body = req.body;
  const std::string delimiter = "--" + boundary, next_delimiter = "\r\n--" + boundary;
  size_t at;
  if (body.substr(0, delimiter.size()) == delimiter) {
    at = delimiter.size();
  } else {  // after a preamble
    at = body.find(next_delimiter);
    if (at == std::string_view::npos) return false;
    at += next_delimiter.size();
  }
  req.files.clear();
  for (;;) {
    if (body.substr(at, 2) == "--") return true;  // the closing delimiter
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;  // transport padding
    if (body.substr(at, 2) != "\r\n") return false;
    at += 2;
    if (body.substr(at, 2) == "\r\n") return false;  // a part without headers: no name
    const size_t head_end = body.find("\r\n\r\n", at);
    if (head_end == std::string_view::npos) return false;
    FormPart part;
    bool form_data = false;
    std::string_view head = body.substr(at, head_end - at);
    while (!head.empty()) {
      const size_t eol = head.find("\r\n");
      const std::string_view line = head.substr(0, eol);
      head = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return false;
      const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
      if (same_name(name, "Content-Disposition")) {
        const auto params = header_params(value);
        const std::string kind = param_of(params, "");
        form_data = same_name(kind, "form-data") && params.count("name") > 0;
        part.name = param_of(params, "name");
        part.filename = param_of(params, "filename");
      } else if (same_name(name, "Content-Type")) {
        part.content_type = std::string(value);
      }
    }
    if (!form_data) return false;
    const size_t content = head_end + 4;
    const size_t end = body.find(next_delimiter, content);
    if (end == std::string_view::npos) return false;  // no closing delimiter
    if (req.files.size() >= max_parts) return false;
    part.content = std::string(body.substr(content, end - content));
    std::string field = part.name;
    req.files.emplace(std::move(field), std::move(part));
    at = end + next_delimiter.size();
  }
}

}  // namespace nn::serving::detail
