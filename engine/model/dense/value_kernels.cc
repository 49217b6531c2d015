// Shape, Cast and ConstantOfShape. Shape's output is known from shapes
// alone, so Infer computes it and the executor never runs it on a device;
// ConstantOfShape needs a host-known shape, so it is always evaluated on the
// host (at Load when constant, in Prepare when the shape depends on the
// batch).
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/model/dense/kernel_factories.h"
#include "engine/model/dense/onnx_proto_util.h"

namespace strata {
namespace {

class ShapeKernel final : public OpKernel {
 public:
  ShapeKernel(int64_t start, std::optional<int64_t> end)
      : start_(start), end_(end) {}
  std::string Kind() const override { return "Shape"; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    const std::vector<int64_t>& x = in[0]->shape;
    const int64_t r = static_cast<int64_t>(x.size());
    int64_t start = start_ < 0 ? start_ + r : start_;
    int64_t end = end_ ? (*end_ < 0 ? *end_ + r : *end_) : r;
    start = std::clamp<int64_t>(start, 0, r);
    end = std::clamp<int64_t>(end, start, r);
    auto v = std::make_shared<HostTensor>(TensorType::kInt64,
                                          std::vector<int64_t>{end - start});
    for (int64_t i = start; i < end; ++i) v->ints()[i - start] = x[i];
    out[0].type = TensorType::kInt64;
    out[0].shape = v->shape;
    out[0].value = std::move(v);
    return absl::OkStatus();
  }

  absl::Status Run(TensorBackend&, absl::Span<const TensorRef>,
                   absl::Span<const TensorRef>, void*) const override {
    return absl::InternalError("Shape is computed on the host");
  }

 private:
  int64_t start_;
  std::optional<int64_t> end_;
};

class CastKernel final : public OpKernel {
 public:
  explicit CastKernel(TensorType to) : to_(to) {}
  std::string Kind() const override { return "Cast"; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    out[0].type = to_;
    out[0].shape = in[0]->shape;
    return absl::OkStatus();
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out, void*) const override {
    return b.Cast(in[0].meta->type, to_, NumElements(in[0].meta->shape),
                  in[0].data, out[0].data);
  }

 private:
  TensorType to_;
};

class ConstantOfShapeKernel final : public OpKernel {
 public:
  explicit ConstantOfShapeKernel(HostTensor value) : value_(std::move(value)) {}
  std::string Kind() const override { return "ConstantOfShape"; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    absl::StatusOr<std::vector<int64_t>> shape =
        HostInts(in[0], "ConstantOfShape's shape");
    if (!shape.ok()) return shape.status();
    for (int64_t d : *shape) {
      if (d < 0) return absl::InvalidArgumentError("negative dim");
    }
    out[0].type = value_.type;
    out[0].shape = *std::move(shape);
    return CheckRank(out[0].shape);
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef>,
                   absl::Span<const TensorRef> out, void*) const override {
    if (!b.host_memory()) {
      return absl::InternalError("ConstantOfShape runs on the host only");
    }
    ElementwiseArgs e;
    e.type = value_.type;
    e.shape = ToDims(out[0].meta->shape);
    e.base.data = value_.data();  // strides 0: broadcast the one value
    e.out = out[0].data;
    if (NumElements(out[0].meta->shape) == 0) return absl::OkStatus();
    return b.Elementwise(e);
  }

 private:
  HostTensor value_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<OpKernel>> MakeValueKernel(
    const onnx::NodeProto& node) {
  NodeAttrs attrs(node);
  const std::string& op = node.op_type();
  if (node.input_size() != 1) return NodeError(node, "takes 1 input");
  if (op == "Shape") {
    absl::Status s = attrs.CheckKnown({"start", "end"});
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> start = attrs.Int("start", 0);
    absl::StatusOr<int64_t> end = attrs.Int("end", INT64_MAX);
    if (!start.ok()) return start.status();
    if (!end.ok()) return end.status();
    return std::make_unique<ShapeKernel>(
        *start, *end == INT64_MAX ? std::nullopt : std::optional(*end));
  }
  if (op == "Cast") {
    absl::Status s = attrs.CheckKnown({"to", "saturate"});
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> to = attrs.Int("to", -1);
    if (!to.ok()) return to.status();
    switch (*to) {
      case onnx::TensorProto::FLOAT:
        return std::make_unique<CastKernel>(TensorType::kFloat32);
      case onnx::TensorProto::INT64:
      case onnx::TensorProto::INT32:
        return std::make_unique<CastKernel>(TensorType::kInt64);
      case -1:
        return NodeError(node, "missing attribute 'to'");
      default:
        return NodeError(node, absl::StrCat("attribute 'to': element type ",
                                            *to, " is not supported"));
    }
  }
  absl::Status s = attrs.CheckKnown({"value"});
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<HostTensor>> value = attrs.Tensor("value");
  if (!value.ok()) return value.status();
  HostTensor v(TensorType::kFloat32, {1});
  if (*value) {
    if ((*value)->num_elements() != 1) {
      return NodeError(node, "attribute 'value' must hold one element");
    }
    v = **value;
  } else {
    v.floats()[0] = 0.0f;
  }
  return std::make_unique<ConstantOfShapeKernel>(std::move(v));
}

}  // namespace strata
