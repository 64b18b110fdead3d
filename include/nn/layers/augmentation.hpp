#pragma once
// Keras's image augmentation layers: RandomRotation, RandomTranslation, RandomZoom and
// RandomContrast. In training each image of a batch gets its own random transform; in evaluation
// and predict the layer passes its input through untouched. The draws are counter-based, like
// Dropout's masks: each call takes one seed from the layer's generator and image i's parameters are
// the draws at counters of i, so a seeded run is reproducible and the same on every backend; the
// generator's state is saved with the model. Inputs are images (C, H, W) or (H, W) without the batch
// axis; geometric transforms sample bilinearly and fill what comes from outside the image with
// fill_value (0: MNIST's black background).
//
//   model.add(nn::Input({1, 28, 28}));
//   model.add<nn::RandomRotation>(nn::RandomRotationOptions(0.03f));          // up to ±10.8°
//   model.add<nn::RandomTranslation>(nn::RandomTranslationOptions(0.1f, 0.1f)); // up to ±2.8 pixels
//   model.add<nn::RandomZoom>(nn::RandomZoomOptions(0.1f));                    // scale 0.9 - 1.1
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "nn/layers/layer.hpp"
#include "nn/ops/dropout.hpp"
#include "nn/ops/image_transform.hpp"
#include "nn/random.hpp"

namespace nn {

// What the four layers share: a seeded generator, training-only behaviour, the image shape check.
class RandomAugmentation : public Layer {
 public:
  Shape compute_output_shape(const Shape& s) const override;
  Generator& generator() { return gen_; }
  // Which rows of the global batch this process's batches are (data-parallel training, as
  // Dropout::set_rows): image j draws at global row first + j * stride's counters. Not saved.
  void set_rows(DropoutRows rows);
  Config state() const override { return {{"generator", static_cast<int64_t>(gen_.state())}}; }
  void load_state(const Config& state) override;

 protected:
  RandomAugmentation(const char* prefix, const LayerArgs& args, std::optional<uint64_t> seed);
  Variable forward(const Variable& x, bool training) override;
  // The transformed batch x (N, [C,] H, W), image i's draws being draw(i, k) for k = 0, 1, ... in [0, 1).
  virtual Variable transform(const Variable& x, const std::function<float(int64_t, int)>& draw) const = 0;

 private:
  Generator gen_;
  DropoutRows rows_;
};

// A RandomAugmentation with its options (one of the four options classes below).
template <class Options>
class RandomAugmentationOf : public RandomAugmentation {
 public:
  const Options& options() const { return o_; }

 protected:
  explicit RandomAugmentationOf(const char* prefix, Options options)
      : RandomAugmentation(prefix, options.layer_args(), options.seed()), o_(std::move(options)) {}
  Config hyper_parameters() const override;  // the options' fields
  Options o_;
};

// Each layer: a RandomAugmentationOf its options, with its own transform (augmentation.cpp).
#define NN_RANDOM_AUGMENTATION_LAYER(Name)                                                                \
  class Name : public RandomAugmentationOf<Name##Options> {                                               \
   public:                                                                                                \
    explicit Name(Name##Options options);                                                                 \
    std::string type() const override { return #Name; }                                                   \
                                                                                                          \
   protected:                                                                                             \
    Variable transform(const Variable& x, const std::function<float(int64_t, int)>& draw) const override; \
  }

class RandomRotationOptions {
 public:
  RandomRotationOptions(float factor = 0.0f) : factor_(factor) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(float, factor);             // angles uniform in [-factor, factor] × 2π, counter-clockwise
  NN_ARG(float, fill_value) = 0.0f;
  NN_ARG(std::optional<uint64_t>, seed);
 public:
  template <class F>
  void fields(F&& f) {
    f("factor", factor_);
    f("fill_value", fill_value_);
    f("seed", seed_);
  }
  NN_LAYER_ARGS;
};

NN_RANDOM_AUGMENTATION_LAYER(RandomRotation);

class RandomTranslationOptions {
 public:
  RandomTranslationOptions(float height_factor = 0.0f, float width_factor = 0.0f)  // NOLINT
      : height_factor_(height_factor), width_factor_(width_factor) {}
  NN_ARG(float, height_factor);  // shifts uniform in [-f, f] × the image's height (rows) ...
  NN_ARG(float, width_factor);   // ... and width (columns)
  NN_ARG(float, fill_value) = 0.0f;
  NN_ARG(std::optional<uint64_t>, seed);
 public:
  template <class F>
  void fields(F&& f) {
    f("height_factor", height_factor_);
    f("width_factor", width_factor_);
    f("fill_value", fill_value_);
    f("seed", seed_);
  }
  NN_LAYER_ARGS;
};

NN_RANDOM_AUGMENTATION_LAYER(RandomTranslation);

class RandomZoomOptions {
 public:
  RandomZoomOptions(float height_factor = 0.0f) : height_factor_(height_factor) {}  // NOLINT
  NN_ARG(float, height_factor);  // z uniform in [-f, f]: the content scales by 1 / (1 + z); z > 0 zooms out
  // Unset: the height's draw for both axes (the aspect ratio kept), as Keras's width_factor=None.
  NN_ARG(std::optional<float>, width_factor);
  NN_ARG(float, fill_value) = 0.0f;
  NN_ARG(std::optional<uint64_t>, seed);
 public:
  template <class F>
  void fields(F&& f) {
    f("height_factor", height_factor_);
    f("width_factor", width_factor_);
    f("fill_value", fill_value_);
    f("seed", seed_);
  }
  NN_LAYER_ARGS;
};

NN_RANDOM_AUGMENTATION_LAYER(RandomZoom);

class RandomContrastOptions {
 public:
  RandomContrastOptions(float factor = 0.0f) : factor_(factor) {}  // NOLINT(google-explicit-constructor)
  NN_ARG(float, factor);  // contrast uniform in [1 - factor, 1 + factor], factor in [0, 1]
  // The values' range, where results are clipped: Keras's default (0, 255); (0, 1) for scaled images.
  NN_ARG(float, value_min) = 0.0f;
  NN_ARG(float, value_max) = 255.0f;
  NN_ARG(std::optional<uint64_t>, seed);
 public:
  template <class F>
  void fields(F&& f) {
    f("factor", factor_);
    f("value_min", value_min_);
    f("value_max", value_max_);
    f("seed", seed_);
  }
  NN_LAYER_ARGS;
};

NN_RANDOM_AUGMENTATION_LAYER(RandomContrast);

// Instantiated once, in the library.
extern template class RandomAugmentationOf<RandomRotationOptions>;
extern template class RandomAugmentationOf<RandomTranslationOptions>;
extern template class RandomAugmentationOf<RandomZoomOptions>;
extern template class RandomAugmentationOf<RandomContrastOptions>;

}  // namespace nn
