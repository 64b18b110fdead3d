#pragma once
// What nn::report inlines into every page, compiled in from the source tree when nn was built
// (report_assets.cpp.in): the page template (src/report/report.html), Chart.js and its matrix
// chart (npm packages chart.js and chartjs-chart-matrix, src/report/package.json).
#include <string>

namespace nn::report::detail {

const std::string& report_template();
const std::string& chart_js();
const std::string& chart_matrix_js();

}  // namespace nn::report::detail
