#include "io/compile_reader.hpp"

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/metrics.hpp"
#include "nn/optim/schedules.hpp"

namespace nn::io::detail {
namespace {

using nn::detail::JsonField;

// The loss of output k: its name, from_logits and label smoothing (absent in files written before it existed).
LossPtr read_loss(const JsonField& l, const Model& model, size_t k) {
  LossPtr loss;
  try {
    const float smoothing = l.has("label_smoothing") ? static_cast<float>(l["label_smoothing"].number(0.0, 0.999)) : 0.0f;
    loss = make_loss(l["name"].string(), l["from_logits"].boolean(), smoothing);
  } catch (const std::invalid_argument& e) {
    l["name"].fail(e.what());
  }
  const bool softmax = model.built() ? model.nodes()[static_cast<size_t>(model.output_nodes()[k])].layer->ends_with_softmax()
                                     : model.ends_with_softmax();
  if (loss->from_logits() && softmax)
    l["from_logits"].fail("the model ends in a softmax, so its outputs are probabilities, not logits");
  return loss;
}

}  // namespace

CompileSpec read_compile(const JsonField& c, const Model& model) {
  CompileSpec spec;
  try {
    spec.optimizer = create_optimizer(c["optimizer"]["type"].string(256), c["optimizer"]["config"].config());
  } catch (const std::invalid_argument& e) {
    if (std::strncmp(e.what(), "field '", 7) == 0) throw;
    c["optimizer"].fail(e.what());
  }
  if (c["optimizer"].has("schedule")) {  // absent in files written before schedules existed
    const JsonField sf = c["optimizer"]["schedule"];
    try {
      spec.optimizer->set_schedule(create_schedule(sf["type"].string(256), sf["config"].config()));
    } catch (const std::invalid_argument& e) {
      if (std::strncmp(e.what(), "field '", 7) == 0) throw;
      sf.fail(e.what());
    }
  }
  // "losses": one per output, for a model of several (absent: "loss" for every output).
  if (c.has("losses")) {
    const JsonField ls = c["losses"];
    if (ls.size() != model.num_outputs() || ls.size() > 4096)
      ls.fail(fmt::format("{} losses for a model of {} outputs", ls.size(), model.num_outputs()));
    for (size_t i = 0; i < ls.size(); ++i) spec.losses.push_back(read_loss(ls[i], model, i));
  } else {
    spec.losses.push_back(read_loss(c["loss"], model, 0));
  }
  if (c.has("loss_weights")) {
    const JsonField w = c["loss_weights"];
    if (w.size() != model.num_outputs())
      w.fail(fmt::format("{} loss weights for a model of {} outputs", w.size(), model.num_outputs()));
    for (size_t i = 0; i < w.size(); ++i) spec.loss_weights.push_back(static_cast<float>(w[i].number(0.0, 1e30)));
  }
  const JsonField m = c["metrics"];
  for (size_t i = 0; i < m.size(); ++i) {
    spec.metrics.push_back(m[i].string(256));
    try {
      make_metric(spec.metrics.back());
    } catch (const std::invalid_argument& e) {
      m[i].fail(e.what());
    }
  }
  return spec;
}

}  // namespace nn::io::detail
