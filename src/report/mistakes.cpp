// Choosing the examples a classifier got most confidently wrong.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/report/report.hpp"

namespace nn::report {

std::vector<Mistake> most_confident_mistakes(const Tensor& probabilities, const Tensor& labels, const Tensor& images,
                                             int64_t k) {
  if (probabilities.ndim() != 2 || labels.ndim() != 1 || labels.dim(0) != probabilities.dim(0) ||
      images.ndim() < 3 || images.dim(0) != probabilities.dim(0))
    throw std::invalid_argument("most_confident_mistakes: probabilities (N, C), labels (N) and images (N, H, W) or (N, "
                                "1, H, W), got " +
                                to_string(probabilities.shape()) + ", " + to_string(labels.shape()) + " and " +
                                to_string(images.shape()));
  if (images.ndim() > 4 || (images.ndim() == 4 && images.dim(1) != 1))
    throw std::invalid_argument("most_confident_mistakes: images must be (N, H, W) or (N, 1, H, W), got " +
                                to_string(images.shape()));
  if (k < 0) throw std::invalid_argument(fmt::format("most_confident_mistakes: k = {} (0 or more)", k));
  const int64_t n = probabilities.dim(0), c = probabilities.dim(1);
  const std::vector<float> p = probabilities.to(Device::cpu()).to(kFloat32).to_vector();
  const std::vector<float> l = labels.to(Device::cpu()).to(kFloat32).to_vector();
  std::vector<Mistake> wrong;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = p.data() + i * c;
    const auto predicted = static_cast<int64_t>(std::max_element(row, row + c) - row);  // the first maximum
    const float truth = l[static_cast<size_t>(i)];
    if (!(truth >= 0 && truth < static_cast<float>(c)) || truth != std::floor(truth))
      throw std::invalid_argument(
          fmt::format("most_confident_mistakes: label {} of row {} is not a class in [0, {})", truth, i, c));
    // A row whose scores are not all numbers (a diverged model) has no most probable class to show.
    if (static_cast<int64_t>(truth) == predicted || !std::all_of(row, row + c, [](float v) { return std::isfinite(v); }))
      continue;
    Mistake m;
    m.index = i;
    m.label = static_cast<int64_t>(truth);
    m.predicted = predicted;
    m.probability = row[predicted];
    wrong.push_back(std::move(m));
  }
  const auto keep = static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(wrong.size())));
  std::stable_sort(wrong.begin(), wrong.end(), [](const Mistake& a, const Mistake& b) { return a.probability > b.probability; });
  wrong.resize(keep);
  const int64_t h = images.dim(images.ndim() - 2), w = images.dim(images.ndim() - 1);
  for (Mistake& m : wrong) m.image = images.slice(m.index, m.index + 1).to(Device::cpu()).to(kFloat32).reshape({h, w});
  return wrong;
}

}  // namespace nn::report
