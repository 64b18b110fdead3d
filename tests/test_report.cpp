// nn::report: choosing the most confident mistakes, and the page's data and safety (the page as a
// browser draws it is tested by tests/browser/report_test.mjs).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "nn/nn.hpp"
#include "nn/report/report.hpp"
#include "nn/vision/image.hpp"
#include "temp_dir.hpp"

using namespace nn;
using nlohmann::json;

namespace {

// The JSON the page draws from (the one <script type="application/json"> block).
json page_data(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t begin = page.find(open);
  REQUIRE(begin != std::string::npos);
  CHECK(page.find(open, begin + 1) == std::string::npos);
  const size_t end = page.find("</script>", begin);
  REQUIRE(end != std::string::npos);
  return json::parse(page.substr(begin + open.size(), end - begin - open.size()));
}

// Four rows of three classes: row 0 right, rows 1-3 wrong with probabilities 0.6, 0.9 and 0.6.
struct Rows {
  Tensor probabilities = Tensor::from_vector({4, 3}, std::vector<float>{0.8f, 0.1f, 0.1f,    //
                                                                         0.2f, 0.6f, 0.2f,    //
                                                                         0.05f, 0.05f, 0.9f,  //
                                                                         0.6f, 0.3f, 0.1f});
  Tensor labels = Tensor::from_vector({4}, std::vector<float>{0, 0, 1, 2});
  Tensor images = Tensor::zeros({4, 1, 2, 2});
  Rows() {
    for (int64_t i = 0; i < 4; ++i) images.data()[i * 4 + i] = 1.0f;  // row i: pixel i lit
  }
};

}  // namespace

TEST_CASE("most_confident_mistakes: wrong rows only, most confident first, ties by row, with their images") {
  Rows r;
  const std::vector<report::Mistake> all = report::most_confident_mistakes(r.probabilities, r.labels, r.images, 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0].index == 2);
  CHECK(all[0].label == 1);
  CHECK(all[0].predicted == 2);
  CHECK(all[0].probability == doctest::Approx(0.9));
  CHECK(all[1].index == 1);  // 0.6, before row 3's 0.6
  CHECK(all[2].index == 3);
  CHECK(all[2].predicted == 0);
  for (const report::Mistake& m : all) {
    CHECK(m.image.shape() == Shape{2, 2});
    CHECK(m.image.data()[m.index] == 1.0f);
  }
  CHECK(report::most_confident_mistakes(r.probabilities, r.labels, r.images, 1).size() == 1);
  // A row of NaN (a diverged model) is no one's mistake to show, and does not upset the order.
  Tensor with_nan = r.probabilities.clone();
  for (int64_t j = 0; j < 3; ++j) with_nan.data()[1 * 3 + j] = std::nanf("");
  const std::vector<report::Mistake> finite = report::most_confident_mistakes(with_nan, r.labels, r.images, 10);
  REQUIRE(finite.size() == 2);
  CHECK(finite[0].index == 2);
  CHECK(finite[1].index == 3);
  CHECK(report::most_confident_mistakes(r.probabilities, r.labels, r.images, 0).empty());
  CHECK_THROWS_WITH_AS(report::most_confident_mistakes(r.probabilities, r.labels.slice(0, 3), r.images, 5),
                       doctest::Contains("got (4, 3), (3,) and (4, 1, 2, 2)"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(report::most_confident_mistakes(r.probabilities, r.labels, Tensor::zeros({4, 3, 2, 2}), 5),
                       doctest::Contains("(N, 1, H, W)"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(
      report::most_confident_mistakes(r.probabilities, Tensor::from_vector({4}, std::vector<float>{0, 0, 1, 7}), r.images, 5),
      doctest::Contains("label 7 of row 3"), std::invalid_argument);
}

TEST_CASE("render_html: one self-contained page whose data holds the run as given") {
  Rows rows;
  report::RunReport r;
  r.title = "a run";
  r.model_summary = "Model: \"m\"";
  r.options = {{"epochs", "2"}, {"batch size", "64"}};
  r.history.append(0, {{"loss", 0.5}, {"val_loss", std::nan("")}, {"learning_rate", 0.01}});
  r.history.append(1, {{"loss", 0.25}, {"val_loss", 0.3}, {"learning_rate", 0.005}});
  r.test = {{"loss", 0.3}, {"accuracy", 0.25}};
  r.confusion = confusion_matrix(rows.probabilities, rows.labels);
  r.mistakes = report::most_confident_mistakes(rows.probabilities, rows.labels, rows.images, 25);
  r.throughput = report::Throughput{10.0, 200, {4.0, 6.0}, 100};
  const std::string page = report::render_html(r);
  CHECK(page.rfind("<!doctype html>", 0) == 0);
  // The charting library is inside, with its licence notice; the page loads nothing: no element
  // has a src or href that points anywhere, and the policy forbids it.
  CHECK(page.find("Chart.js v4") != std::string::npos);
  CHECK(page.find("chartjs-chart-matrix") != std::string::npos);
  CHECK(page.find("Released under the MIT") != std::string::npos);
  CHECK(page.find("default-src 'none'") != std::string::npos);
  CHECK(page.find("<!-- nn:") == std::string::npos);  // every marker replaced
  CHECK_FALSE(std::regex_search(page, std::regex(R"(<(script|link|img|iframe)[^>]*\s(src|href)=)")));
  CHECK(page.find("sourceMappingURL") == std::string::npos);

  const json d = page_data(page);
  CHECK(d["title"] == "a run");
  CHECK(d["options"] == json::array({json::array({"epochs", "2"}), json::array({"batch size", "64"})}));
  CHECK(d["history"]["epochs"] == json::array({0, 1}));
  CHECK(d["history"]["columns"]["val_loss"][0].is_null());  // NaN: a gap in the curve
  CHECK(d["history"]["columns"]["val_loss"][1] == 0.3);
  CHECK(d["test"]["accuracy"] == 0.25);
  CHECK(d["confusion"]["classes"] == json::array({"0", "1", "2"}));
  CHECK(d["confusion"]["counts"] == json::array({json::array({1, 1, 0}), json::array({0, 0, 1}), json::array({1, 0, 0})}));
  CHECK(d["confusion"]["total"] == 4);
  CHECK(d["per_class"][0]["recall"] == 0.5);
  CHECK(d["per_class"][0]["support"] == 2);
  CHECK(d["averages"]["weighted"]["support"] == 4);
  REQUIRE(d["mistakes"].size() == 3);
  CHECK(d["mistakes"][0]["index"] == 2);
  CHECK(d["throughput"]["images_per_second"] == 20.0);
  // Each mistake's image is a PNG of it, base64: decoded, it is the row's 2 x 2 pixels (row 2:
  // pixel 2, the second row's first, lit).
  const std::string b64 = d["mistakes"][0]["png"];
  std::string png(b64.size(), '\0');
  size_t bytes = 0;
  REQUIRE(sodium_base642bin(reinterpret_cast<unsigned char*>(png.data()), png.size(), b64.data(), b64.size(), nullptr,
                            &bytes, nullptr, sodium_base64_VARIANT_ORIGINAL) == 0);
  png.resize(bytes);
  const vision::Image image = vision::decode_image(png, "mistake.png");
  REQUIRE(image.width == 2);
  REQUIRE(image.height == 2);
  for (int p = 0; p < 4; ++p) CHECK(image.rgba[static_cast<size_t>(p) * 4] == (p == 2 ? 255 : 0));
}

TEST_CASE("render_html: text from the run cannot end the data block or inject markup") {
  report::RunReport r;
  r.title = "</script><script>alert(1)</script><!--";
  r.options = {{"data", "<img src=x onerror=alert(2)>"}};
  r.notes = {"a \xff byte that is not UTF-8"};
  const std::string page = report::render_html(r);
  CHECK(page.find("alert(1)</script>") == std::string::npos);
  CHECK(page.find("<img src=x") == std::string::npos);
  const json d = page_data(page);
  CHECK(d["title"] == r.title);  // the same text, once parsed
  CHECK(d["options"][0][1] == "<img src=x onerror=alert(2)>");
  CHECK(d["notes"][0].get<std::string>().find("byte that is not UTF-8") != std::string::npos);
}

TEST_CASE("render_html: what does not fit is an error naming it, and write_html writes the page whole") {
  Rows rows;
  report::RunReport r;
  r.confusion = confusion_matrix(rows.probabilities, rows.labels);
  r.class_names = {"zero", "one"};
  CHECK_THROWS_WITH_AS(report::render_html(r), doctest::Contains("2 class names for a confusion matrix of 3 classes"),
                       std::invalid_argument);
  r.class_names = {"zero", "one", "two"};
  CHECK(page_data(report::render_html(r))["confusion"]["classes"][2] == "two");
  r.mistakes = {report::Mistake{0, 0, 1, 0.5, Tensor::zeros({2, 2, 2})}};
  CHECK_THROWS_WITH_AS(report::render_html(r), doctest::Contains("mistake #0 must be (H, W) or (1, H, W), got (2, 2, 2)"),
                       std::invalid_argument);
  r.mistakes.clear();
  r.history.epochs = {0, 1};
  r.history.history["loss"] = {0.5};
  CHECK_THROWS_WITH_AS(report::render_html(r), doctest::Contains("history column 'loss' has 1 values for 2 epochs"),
                       std::invalid_argument);
  r.history.history["loss"] = {0.5, 0.4};
  test::TempDir tmp{"nn_report"};
  const std::string path = tmp / "report.html";
  report::write_html(path, r);
  std::ifstream in(path);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(page_data(written)["history"]["columns"]["loss"] == json::array({0.5, 0.4}));
  CHECK(written.size() > 200000);  // the library is inside
  CHECK_THROWS_WITH_AS(report::write_html(tmp / "no/such/dir/report.html", r), doctest::Contains("no/such/dir"),
                       std::runtime_error);
}
