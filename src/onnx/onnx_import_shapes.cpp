// The ONNX operators for shapes, constants, arithmetic, joins and padding (onnx_importer.hpp).
#include "onnx/onnx_importer.hpp"

namespace nn::io::detail {

Shape Importer::full_shape(const Value& v) const {
  if (v.constant) return v.value.shape();
  Shape s{batch_};
  s.insert(s.end(), v.sym.shape().begin(), v.sym.shape().end());
  return s;
}

// A computed x reshaped to `target` (with its batch axis as the first extent).
void Importer::reshape_to(const SymbolicTensor& x, Shape target, bool batch_kept) {
  if (!batch_kept) throw std::runtime_error("the new shape " + to_string(target) + " moves the batch axis");
  Shape sample(target.begin() + 1, target.end());
  if (sample == x.shape()) return alias(0);
  output(call<Reshape>(ReshapeOptions(sample), {x}));
}

void Importer::flatten() {
  allow_attrs({"axis"});
  const Value& v = in(0);
  const Shape s = full_shape(v);
  const auto rank = static_cast<int64_t>(s.size());
  int64_t axis = attr_int("axis", 1);  // in [-rank, rank]: the axes before it go to the first dimension
  if (axis < -rank || axis > rank) throw std::runtime_error(fmt::format("axis {} is out of range for rank {}", axis, rank));
  if (axis < 0) axis += rank;
  if (v.constant) {
    int64_t outer = 1;
    for (int i = 0; i < axis; ++i) outer *= s[static_cast<size_t>(i)];
    return output_constant(v.value.reshape({outer, v.value.numel() / std::max<int64_t>(outer, 1)}));
  }
  if (axis != 1) throw std::runtime_error(fmt::format("axis {} mixes the batch axis with others: only axis 1 is supported", axis));
  if (v.sym.shape().size() == 1) return alias(0);
  output(call<Flatten>(FlattenOptions(), {v.sym}));
}

void Importer::reshape_node() {
  allow_attrs({"allowzero"});
  const Value& v = in(0);
  std::vector<int64_t> shape = constant_ints(1, "shape");
  if (shape.size() > 8) throw std::runtime_error("a shape of over 8 dimensions");
  const bool allowzero = attr_int("allowzero", 0) != 0;
  const Shape in_shape = full_shape(v);
  bool batch_kept = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowzero) {
      if (i >= in_shape.size()) throw std::runtime_error("0 copies an extent the input does not have");
      shape[i] = in_shape[i];
      if (i == 0 && !v.constant) batch_kept = true;
    } else if (shape[i] < -1) {
      throw std::runtime_error(fmt::format("extent {} in the new shape", shape[i]));
    }
  }
  if (v.constant) {
    return output_constant(v.value.reshape(resolve(shape, v.value.numel())));
  }
  const int64_t per = numel(v.sym.shape());
  if (!batch_kept && !shape.empty()) {
    std::vector<int64_t> rest(shape.begin() + 1, shape.end());
    const bool rest_known = std::count(rest.begin(), rest.end(), -1) == 0;
    if (shape[0] == -1 && rest_known && numel(rest) == per) batch_kept = true;
    if (batch_ > 0 && shape[0] == batch_) batch_kept = true;
  }
  if (batch_kept && !shape.empty()) {
    std::vector<int64_t> rest(shape.begin() + 1, shape.end());
    Shape sample = resolve(rest, per);
    shape = {batch_};
    shape.insert(shape.end(), sample.begin(), sample.end());
  }
  reshape_to(v.sym, shape, batch_kept);
}

Shape Importer::resolve(std::vector<int64_t> s, int64_t total) {
  int64_t known = 1;
  int unknown = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (unknown >= 0) throw std::runtime_error("more than one -1 in the new shape");
      unknown = static_cast<int>(i);
    } else {
      known = checked_mul(known, s[i], "the new shape");
    }
  }
  if (unknown >= 0) {
    if (known == 0 || total % known != 0) throw std::runtime_error("the new shape does not divide the elements");
    s[static_cast<size_t>(unknown)] = total / known;
  } else if (known != total) {
    throw std::runtime_error(fmt::format("the new shape has {} elements, the tensor {}", known, total));
  }
  return s;
}

void Importer::transpose() {
  allow_attrs({"perm"});
  const Value& v = in(0);
  const auto rank = static_cast<int64_t>(full_shape(v).size());
  std::vector<int64_t> perm;
  for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  perm = attr_ints("perm", perm);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < static_cast<int64_t>(sorted.size()); ++i)
    if (static_cast<int64_t>(sorted.size()) != rank || sorted[static_cast<size_t>(i)] != i)
      throw std::runtime_error("perm is not a permutation of the input's axes");
  if (v.constant) {
    if (rank < 2) return alias(0);
    return output_constant(permute(Variable(v.value), std::vector<int>(perm.begin(), perm.end())).value());
  }
  if (perm[0] != 0) throw std::runtime_error("perm moves the batch axis");
  bool identity = true;
  for (int64_t i = 0; i < rank; ++i) identity = identity && perm[static_cast<size_t>(i)] == i;
  if (identity) return alias(0);
  output(call<Permute>(PermuteOptions(std::vector<int64_t>(perm.begin() + 1, perm.end())), {v.sym}));
}

void Importer::squeeze(bool squeeze) {
  allow_attrs({"axes"});
  const Value& v = in(0);
  const Shape s = full_shape(v);
  std::vector<int64_t> axes;
  bool given = false;
  if (opset_ < 13) {
    given = attr("axes") != nullptr;
    axes = attr_ints("axes", {});
  } else if (attr("axes")) {
    throw std::runtime_error("attribute 'axes' is an input since opset 13");
  } else if (has_input(1)) {
    given = true;
    axes = constant_ints(1, "axes");
  }
  if (!squeeze && !given) throw std::runtime_error("axes are required");
  const auto out_rank = static_cast<int64_t>(s.size()) + (squeeze ? 0 : static_cast<int64_t>(axes.size()));
  if (out_rank > 8) throw std::runtime_error("a rank over 8");
  std::set<int> marked;
  for (int64_t a : axes)
    if (!marked.insert(axis_of(a, squeeze ? static_cast<int64_t>(s.size()) : out_rank)).second)
      throw std::runtime_error("an axis is given twice");
  Shape out;
  if (squeeze) {
    for (size_t i = 0; i < s.size(); ++i) {
      const bool drop = given ? marked.count(static_cast<int>(i)) > 0 : (s[i] == 1 && (v.constant || i > 0));
      if (drop && s[i] != 1 && !(i == 0 && !v.constant))
        throw std::runtime_error(fmt::format("axis {} has extent {}, not 1", i, s[i]));
      if (!drop) out.push_back(s[i]);
    }
    if (!v.constant && given && marked.count(0)) throw std::runtime_error("squeezing the batch axis is not supported");
  } else {
    size_t next = 0;
    for (int64_t i = 0; i < out_rank; ++i) out.push_back(marked.count(static_cast<int>(i)) ? 1 : s[next++]);
    if (!v.constant && marked.count(0)) throw std::runtime_error("a new axis before the batch axis is not supported");
  }
  if (v.constant) return output_constant(v.value.reshape(out));
  reshape_to(v.sym, out, true);
}

void Importer::concat() {
  allow_attrs({"axis"});
  if (!attr("axis")) throw std::runtime_error("axis is required");
  bool all_constant = true, any_constant = false;
  for (int i = 0; i < inputs(); ++i) {
    all_constant = all_constant && in(i).constant;
    any_constant = any_constant || in(i).constant;
  }
  const auto rank = static_cast<int64_t>(full_shape(in(0)).size());
  const int axis = axis_of(attr_int("axis", 0), rank);
  if (all_constant) {
    bool integer = true;
    std::vector<Variable> parts;
    std::vector<int64_t> ints;
    int64_t n = 0;
    for (int i = 0; i < inputs(); ++i) {
      parts.emplace_back(in(i).value);
      integer = integer && in(i).integer;
      ints.insert(ints.end(), in(i).ints.begin(), in(i).ints.end());
      n += in(i).value.numel();
      if (n > kMaxFoldedElements) throw std::runtime_error("the concatenated constant is too large");
    }
    Tensor y = parts.size() == 1 ? parts[0].value() : concatenate(parts, axis).value();
    if (integer && rank == 1) return output_ints(ints, y.shape());
    return output_constant(y);
  }
  if (any_constant) throw std::runtime_error("joining computed tensors with constants is not supported");
  if (axis == 0) throw std::runtime_error("concatenating along the batch axis is not supported");
  std::vector<SymbolicTensor> xs;
  for (int i = 0; i < inputs(); ++i) xs.push_back(in(i).sym);
  if (xs.size() == 1) return alias(0);
  output(call<Concatenate>(ConcatenateOptions(axis), xs));
}

void Importer::arithmetic(const std::string& op) {
  allow_attrs({});
  const Value &a = in(0), &b = in(1);
  if (a.constant && b.constant) {
    const Shape s = broadcast_shapes(a.value.shape(), b.value.shape());
    if (numel(s) > kMaxFoldedElements) throw std::runtime_error("the computed constant is too large");
    const Variable x(a.value), y(b.value);
    Tensor r = op == "Add" ? add(x, y).value() : op == "Sub" ? sub(x, y).value()
               : op == "Mul" ? mul(x, y).value() : div(x, y).value();
    if (a.integer && b.integer) {
      std::vector<int64_t> ints;
      const float* f = r.data();
      for (int64_t i = 0; i < r.numel(); ++i) ints.push_back(to_int64(f[i]));
      return output_ints(ints, r.shape());
    }
    return output_constant(r);
  }
  if (!a.constant && !b.constant) {
    if (a.sym.shape() != b.sym.shape())
      throw std::runtime_error(fmt::format("broadcasting computed tensors of shapes {} and {} is not supported",
                                           to_string(a.sym.shape()), to_string(b.sym.shape())));
    if (op == "Add") return output(call<Add>(MergeOptions(), {a.sym, b.sym}));
    if (op == "Sub") return output(call<Subtract>(MergeOptions(), {a.sym, b.sym}));
    if (op == "Mul") return output(call<Multiply>(MergeOptions(), {a.sym, b.sym}));
    throw std::runtime_error("Div of two computed tensors is not supported");
  }
  const bool constant_first = a.constant;
  const SymbolicTensor& x = constant_first ? b.sym : a.sym;
  Tensor c = constant_first ? a.value : b.value;
  // The constant, broadcast against (N, *x): without its batch extent (which must be 1).
  const auto full_rank = x.shape().size() + 1;
  if (c.shape().size() > full_rank) throw std::runtime_error("the constant has more axes than the computed tensor");
  if (c.shape().size() == full_rank) {
    if (c.shape()[0] != 1) throw std::runtime_error("the constant varies along the batch axis");
    c = c.reshape(Shape(c.shape().begin() + 1, c.shape().end()));
  }
  if (op == "Div" && constant_first) throw std::runtime_error("a constant divided by a computed tensor is not supported");
  RescalingOptions o;
  Tensor scale_t, offset_t;
  const bool scalar = c.numel() == 1;
  const float c0 = scalar ? c.data()[0] : 0.0f;
  if (op == "Add" || op == "Sub") {
    const float sign = op == "Sub" && !constant_first ? -1.0f : 1.0f;
    if (op == "Sub" && constant_first) o.scale(-1.0);
    if (scalar) {
      o.offset(static_cast<double>(sign * c0));
    } else {
      offset_t = sign == 1.0f ? c : nn::scale(Variable(c), -1.0f).value();
      o.offset_shape(c.shape());
    }
  } else if (op == "Mul") {
    if (scalar) {
      o.scale(static_cast<double>(c0));
    } else {
      scale_t = c;
      o.scale_shape(c.shape());
    }
  } else {  // x / c as x * (1 / c)
    const Tensor inv = div(Variable(Tensor::full(c.shape(), 1.0f)), Variable(c)).value();
    const float* f = inv.data();
    for (int64_t i = 0; i < inv.numel(); ++i)
      if (!std::isfinite(f[i])) throw std::runtime_error("division by a constant that holds 0");
    if (scalar) {
      o.scale(static_cast<double>(f[0]));
    } else {
      scale_t = inv;
      o.scale_shape(c.shape());
    }
  }
  if (!scalar) {  // the constant must broadcast to x without changing it
    const Shape s = broadcast_shapes(x.shape(), c.shape());
    if (s != x.shape())
      throw std::runtime_error(fmt::format("a constant of shape {} would change the shape {}", to_string(c.shape()),
                                           to_string(x.shape())));
  }
  std::shared_ptr<Rescaling> layer;
  SymbolicTensor y = call<Rescaling>(o, {x}, &layer);
  if (scale_t.defined()) set_weight(*layer, "scale", scale_t);
  if (offset_t.defined()) set_weight(*layer, "offset", offset_t);
  output(y);
}

void Importer::pad() {
  allow_attrs({"mode"});
  if (attr_string("mode", "constant") != "constant")
    throw std::runtime_error("mode '" + cut(attr_string("mode", "")) + "' is not supported (only constant)");
  const SymbolicTensor& x = computed(0);
  const std::vector<int64_t> pads = constant_ints(1, "pads");
  if (has_input(2)) {
    const Value& value = constant(2, "constant_value");
    if (value.value.numel() != 1 || value.value.data()[0] != 0.0f)
      throw std::runtime_error("a constant_value other than 0 is not supported");
  }
  if (has_input(3)) throw std::runtime_error("the axes input is not supported");
  const auto rank = x.shape().size() + 1;
  if (pads.size() != 2 * rank) throw std::runtime_error(fmt::format("pads has {} values for rank {}", pads.size(), rank));
  for (int64_t p : pads)
    if (p < 0 || p > (int64_t{1} << 20)) throw std::runtime_error(fmt::format("pad {} is not supported (0 to 2^20)", p));
  if (rank != 4 || pads[0] || pads[1] || pads[4] || pads[5])
    throw std::runtime_error("only padding the two spatial axes of (N, C, H, W) is supported");
  output(call<ZeroPadding2D>(ZeroPadding2DOptions({pads[2], pads[6], pads[3], pads[7]}), {x}));
}

}  // namespace nn::io::detail
