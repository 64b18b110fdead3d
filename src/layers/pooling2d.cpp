#include "nn/layers/pooling2d.hpp"

#include "layers/fields.hpp"

#include <stdexcept>

#include "nn/ops/pooling.hpp"

namespace nn {

Pooling2D::Pooling2D(const char* type, const std::string& default_name, const char* op, const Pooling2DOptions& o)
    : Layer(default_name, o.layer_args()),
      pool_(o.pool_size()),
      strides_(o.strides().value_or(o.pool_size())),
      padding_(o.padding()),
      op_(op) {
  check_size(pool_.h, "pool height", type);
  check_size(pool_.w, "pool width", type);
  check_size(strides_.h, "stride height", type);
  check_size(strides_.w, "stride width", type);
}

Shape Pooling2D::compute_output_shape(const Shape& in) const {
  if (in.size() != 3) fail("expects (channels, height, width) inputs, got " + to_string(in));
  try {
    const Pool2DParams p = pool2d_params(op_, {1, in[0], in[1], in[2]}, pool_.h, pool_.w, strides_.h, strides_.w, padding_);
    return {in[0], p.out_h(), p.out_w()};
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

Config Pooling2D::hyper_parameters() const {  // strides resolved, as Keras records them
  return detail::write_fields(Pooling2DOptions(pool_).strides(strides_).padding(padding_));
}

}  // namespace nn
