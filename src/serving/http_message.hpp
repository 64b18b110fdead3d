#pragma once
// A request and a response as the routes see them, whatever reads them off the connection
// (http_server.cpp): the method, the decoded path and query, the headers, the body and a
// multipart form's parts; the status, the body and its type, extra headers.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nn::serving::detail {

// One part of a multipart/form-data body (RFC 7578).
struct FormPart {
  std::string name, filename, content_type, content;
};

struct Request {
  std::string method;  // "GET", as sent
  std::string target;  // as sent: "/v1/models/mnist:predict?x=1"
  std::string path;    // the target's path, percent-decoded
  std::multimap<std::string, std::string> params;             // the target's query, decoded
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;
  std::multimap<std::string, FormPart> files;  // a multipart form's parts, by field name
  std::string remote_addr;                     // the client's address

  // The first value of a header (names compare without case), or "".
  std::string header(std::string_view name) const;
  size_t header_count(std::string_view name) const;
  bool has_header(std::string_view name) const { return header_count(name) > 0; }
  bool is_multipart_form_data() const;
  bool has_param(const std::string& key) const { return params.count(key) > 0; }
  std::string param(const std::string& key) const;
  bool has_file(const std::string& field) const { return files.count(field) > 0; }
  const FormPart& file(const std::string& field) const { return files.find(field)->second; }
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type;                                  // "" with an empty body
  std::vector<std::pair<std::string, std::string>> headers;  // besides the type and length
  bool close = false;             // close the connection after this answer
  const char* route = "unknown";  // the route it took, for the access log and the metrics

  void set_content(std::string content, std::string type) {
    body = std::move(content);
    content_type = std::move(type);
  }
  void set_header(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

// Splits req.target into req.path (percent-decoded) and req.params (with '+' as a space); false
// when the target is not an origin-form path or its percent-encoding is broken.
bool parse_target(Request& req);

// Parses req.body as multipart/form-data with the boundary of its Content-Type into req.files;
// false when it is malformed (no boundary, a part without a Content-Disposition name, no closing
// delimiter) or has more than max_parts parts.
bool parse_multipart(Request& req, size_t max_parts);

}  // namespace nn::serving::detail
