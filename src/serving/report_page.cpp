// GET /report: the training report that sits beside the served model (DIR/report.html for
// DIR/model.nn, or the served version's DIR/N/report.html), read on each request so that a report
// written after the server started is served.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "serving/context.hpp"

namespace nn::serving::detail {

void report_page(const Context& c, Response& res) {
  namespace fs = std::filesystem;
  constexpr std::uintmax_t kMaxBytes = std::uintmax_t{64} << 20;
  const fs::path path = fs::path(c.store->current()->path).parent_path() / "report.html";
  std::error_code ec;
  const bool regular = fs::is_regular_file(path, ec);
  const std::uintmax_t size = regular ? fs::file_size(path, ec) : 0;
  if (!regular || ec)
    throw RequestError(404, "no training report beside the served model (mnist train --report or mnist report writes "
                            "report.html there)");
  if (size > kMaxBytes) throw RequestError(500, "the training report beside the served model is over 64 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) throw RequestError(500, "the training report beside the served model could not be read");
  res.set_content(bytes.str(), "text/html; charset=utf-8");
  // The page needs nothing from anywhere: say so to the browser too (its own <meta> says the same).
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:");
  res.set_header("Cache-Control", "no-cache");
}

}  // namespace nn::serving::detail
