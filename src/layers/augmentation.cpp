#include "nn/layers/augmentation.hpp"

#include "layers/fields.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace nn {
namespace {

constexpr float kTwoPi = 6.283185307179586f;

// A draw in [lo, hi] from u in [0, 1).
float between(float u, float lo, float hi) { return lo + (hi - lo) * u; }

void check_factor(const Layer& l, const char* name, float f, float most) {
  if (!(std::isfinite(f) && f >= 0.0f && f <= most))
    throw std::invalid_argument(fmt::format("{} '{}': {} must be in [0, {}], got {}", l.type(), l.name(), name, most, f));
}

// The batch's image height and width: the last two axes.
std::pair<int64_t, int64_t> height_width(const Variable& x) {
  const Shape& s = x.shape();
  return {s[s.size() - 2], s[s.size() - 1]};
}

}  // namespace

RandomAugmentation::RandomAugmentation(const char* prefix, const LayerArgs& args, std::optional<uint64_t> seed)
    : Layer(prefix, args), gen_(seed ? *seed : default_generator().next_u64()) {}

Shape RandomAugmentation::compute_output_shape(const Shape& s) const {
  if (s.size() != 2 && s.size() != 3)
    fail("takes images (C, H, W) or (H, W) without the batch axis, got " + to_string(s));
  return s;
}

void RandomAugmentation::load_state(const Config& state) {
  if (state.count("generator")) gen_.set_state(static_cast<uint64_t>(config_int(state, "generator")));
}

void RandomAugmentation::set_rows(DropoutRows rows) {
  check_rows(rows, describe());
  rows_ = rows;
}

Variable RandomAugmentation::forward(const Variable& x, bool training) {
  if (!training) return x;
  // One seed per call: image i (global row g = first + i * stride) draws at counters 4g, 4g + 1, ...
  const uint64_t seed = gen_.next_u64();
  const DropoutRows rows = rows_;
  return transform(x, [seed, rows](int64_t i, int k) {
    const auto g = static_cast<uint64_t>(rows.first + i * rows.stride);
    return static_cast<float>(splitmix64_at(seed, g * 4 + static_cast<uint64_t>(k)) >> 40) * 0x1p-24f;
  });
}

RandomRotation::RandomRotation(RandomRotationOptions options)
    : RandomAugmentationOf("random_rotation", std::move(options)) {
  check_factor(*this, "factor", o_.factor(), 1.0f);
}

Variable RandomRotation::transform(const Variable& x, const std::function<float(int64_t, int)>& draw) const {
  const auto [h, w] = height_width(x);
  std::vector<AffineMap> maps;
  for (int64_t i = 0; i < x.shape()[0]; ++i)
    maps.push_back(rotation_map(between(draw(i, 0), -o_.factor(), o_.factor()) * kTwoPi, h, w));
  return affine_transform(x, maps, o_.fill_value());
}

RandomTranslation::RandomTranslation(RandomTranslationOptions options)
    : RandomAugmentationOf("random_translation", std::move(options)) {
  check_factor(*this, "height_factor", o_.height_factor(), 1.0f);
  check_factor(*this, "width_factor", o_.width_factor(), 1.0f);
}

Variable RandomTranslation::transform(const Variable& x, const std::function<float(int64_t, int)>& draw) const {
  const auto [h, w] = height_width(x);
  const float fh = o_.height_factor() * static_cast<float>(h), fw = o_.width_factor() * static_cast<float>(w);
  std::vector<AffineMap> maps;
  for (int64_t i = 0; i < x.shape()[0]; ++i)
    maps.push_back(translation_map(between(draw(i, 0), -fh, fh), between(draw(i, 1), -fw, fw)));
  return affine_transform(x, maps, o_.fill_value());
}

RandomZoom::RandomZoom(RandomZoomOptions options)
    : RandomAugmentationOf("random_zoom", std::move(options)) {
  check_factor(*this, "height_factor", o_.height_factor(), 0.99f);
  if (o_.width_factor()) check_factor(*this, "width_factor", *o_.width_factor(), 0.99f);
}

Variable RandomZoom::transform(const Variable& x, const std::function<float(int64_t, int)>& draw) const {
  const auto [h, w] = height_width(x);
  std::vector<AffineMap> maps;
  for (int64_t i = 0; i < x.shape()[0]; ++i) {
    const float zy = between(draw(i, 0), -o_.height_factor(), o_.height_factor());
    const float zx = o_.width_factor() ? between(draw(i, 1), -*o_.width_factor(), *o_.width_factor()) : zy;
    maps.push_back(zoom_map(zy, zx, h, w));
  }
  return affine_transform(x, maps, o_.fill_value());
}

RandomContrast::RandomContrast(RandomContrastOptions options)
    : RandomAugmentationOf("random_contrast", std::move(options)) {
  check_factor(*this, "factor", o_.factor(), 1.0f);
  if (!(o_.value_min() < o_.value_max()))
    fail(fmt::format("value range [{}, {}] is empty", o_.value_min(), o_.value_max()));
}

Variable RandomContrast::transform(const Variable& x, const std::function<float(int64_t, int)>& draw) const {
  std::vector<float> factors;
  for (int64_t i = 0; i < x.shape()[0]; ++i) factors.push_back(between(draw(i, 0), 1 - o_.factor(), 1 + o_.factor()));
  return adjust_contrast(x, factors, o_.value_min(), o_.value_max());
}

template <class Options>
Config RandomAugmentationOf<Options>::hyper_parameters() const {
  return detail::write_fields(o_);
}
template class RandomAugmentationOf<RandomRotationOptions>;
template class RandomAugmentationOf<RandomTranslationOptions>;
template class RandomAugmentationOf<RandomZoomOptions>;
template class RandomAugmentationOf<RandomContrastOptions>;

}  // namespace nn
