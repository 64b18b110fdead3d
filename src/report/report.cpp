// The report page: the run's figures as JSON in the page template (report.html), beside the
// charting library, all inlined when nn was built (report_assets.cpp.in).
#include "nn/report/report.hpp"

#include <sodium.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nn/io/atomic_file.hpp"
#include "nn/vision/image.hpp"
#include "report/assets.hpp"

namespace nn::report {
namespace {

using nlohmann::json;

// JSON has no NaN or infinity: they are written null (the charts leave a gap).
json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json numbers(const std::vector<double>& vs) {
  json out = json::array();
  for (double v : vs) out.push_back(number(v));
  return out;
}

std::string base64(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

json class_json(const ClassReport& r) {
  return {{"precision", number(r.precision)}, {"recall", number(r.recall)}, {"f1", number(r.f1)}, {"support", r.support}};
}

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02} UTC", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

json report_json(const RunReport& r) {
  json d = {{"title", r.title.empty() ? std::string("training run") : r.title},
            {"generated", utc_now()},
            {"nn_version", NN_VERSION},
            {"summary", r.model_summary},
            {"options", r.options},
            {"notes", r.notes}};
  json columns = json::object();
  for (const auto& [name, values] : r.history.history) {
    if (values.size() != r.history.epochs.size())
      throw std::invalid_argument(fmt::format("render_html: history column '{}' has {} values for {} epochs", name,
                                              values.size(), r.history.epochs.size()));
    columns[name] = numbers(values);
  }
  d["history"] = {{"epochs", r.history.epochs}, {"columns", columns}};
  json test = json::object();
  for (const auto& [k, v] : r.test) test[k] = number(v);
  d["test"] = test;
  std::vector<std::string> classes = r.class_names;
  if (r.confusion) {
    const ConfusionMatrix& cm = *r.confusion;
    const auto n = static_cast<size_t>(cm.classes());
    if (classes.empty())
      for (size_t c = 0; c < n; ++c) classes.push_back(std::to_string(c));
    if (classes.size() != n)
      throw std::invalid_argument(
          fmt::format("render_html: {} class names for a confusion matrix of {} classes", classes.size(), n));
    json counts = json::array();
    for (int64_t t = 0; t < cm.classes(); ++t) {
      json row = json::array();
      for (int64_t p = 0; p < cm.classes(); ++p) row.push_back(cm.count(t, p));
      counts.push_back(row);
    }
    d["confusion"] = {{"classes", classes}, {"counts", counts}, {"total", cm.total()}, {"accuracy", cm.accuracy()}};
    json per_class = json::array();
    const std::vector<ClassReport> rows = cm.per_class();
    for (size_t c = 0; c < n; ++c) {
      json row = class_json(rows[c]);
      row["class"] = classes[c];
      per_class.push_back(row);
    }
    d["per_class"] = per_class;
    d["averages"] = {{"macro", class_json(cm.macro_average())}, {"weighted", class_json(cm.weighted_average())}};
  }
  json mistakes = json::array();
  for (const Mistake& m : r.mistakes) {
    if (m.image.ndim() != 2 && !(m.image.ndim() == 3 && m.image.dim(0) == 1))
      throw std::invalid_argument("render_html: the image of mistake #" + std::to_string(m.index) +
                                  " must be (H, W) or (1, H, W), got " + to_string(m.image.shape()));
    const Tensor gray = m.image.ndim() == 2 ? m.image : m.image.reshape({m.image.dim(1), m.image.dim(2)});
    mistakes.push_back({{"index", m.index},
                        {"label", m.label},
                        {"predicted", m.predicted},
                        {"probability", number(m.probability)},
                        {"png", base64(vision::encode_png(gray))}});
  }
  d["mistakes"] = mistakes;
  if (r.throughput) {
    const Throughput& t = *r.throughput;
    d["throughput"] = {{"seconds", number(t.seconds)},
                       {"images", t.images},
                       {"images_per_second", number(t.seconds > 0 ? static_cast<double>(t.images) / t.seconds : 0.0)},
                       {"epoch_seconds", numbers(t.epoch_seconds)},
                       {"images_per_epoch", t.images_per_epoch}};
  }
  return d;
}

void replace_once(std::string& s, const std::string& marker, const std::string& with) {
  const size_t at = s.find(marker);
  if (at == std::string::npos) throw std::logic_error("report template: no " + marker);
  s.replace(at, marker.size(), with);
}

}  // namespace

std::string render_html(const RunReport& report) {
  if (sodium_init() < 0) throw std::runtime_error("render_html: libsodium could not be initialised");
  // Text from the run (a model's name, an option) stays text: '<' never reaches the HTML parser
  // inside the data block, whatever a string holds (JSON's \u003c is the same character).
  std::string data = report_json(report).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string safe;
  safe.reserve(data.size());
  for (char c : data) {
    if (c == '<')
      safe += "\\u003c";
    else
      safe += c;
  }
  std::string page = detail::report_template();
  replace_once(page, "<!-- nn:libraries -->",
               "<script>\n" + detail::chart_js() + "\n</script>\n<script>\n" + detail::chart_matrix_js() + "\n</script>");
  replace_once(page, "<!-- nn:data -->", "<script type=\"application/json\" id=\"report-data\">" + safe + "</script>");
  return page;
}

void write_html(const std::string& path, const RunReport& report) { io::write_file_atomically(path, render_html(report)); }

}  // namespace nn::report
