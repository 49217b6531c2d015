// Softmax (opset 13: along one axis; older opsets: over the flattened
// trailing dims) and ReduceSum / ReduceMean / ReduceMax (axes as attribute
// or, opset 13 ReduceSum, as an input; keepdims; noop_with_empty_axes).
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/model/dense/kernel_factories.h"
#include "engine/model/dense/onnx_proto_util.h"

namespace strata {
namespace {

class SoftmaxKernel final : public OpKernel {
 public:
  SoftmaxKernel(int64_t axis, bool flatten) : axis_(axis), flatten_(flatten) {}
  std::string Kind() const override { return "Softmax"; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    if (in[0]->type != TensorType::kFloat32) {
      return absl::InvalidArgumentError("Softmax input must be float32");
    }
    absl::StatusOr<int> axis = NormalizeAxis(axis_, in[0]->shape.size());
    if (!axis.ok()) return axis.status();
    out[0] = TensorMeta{in[0]->type, in[0]->shape, nullptr};
    return absl::OkStatus();
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out, void*) const override {
    const std::vector<int64_t>& x = in[0].meta->shape;
    const int axis = *NormalizeAxis(axis_, x.size());
    int64_t outer = 1, len = 1, inner = 1;
    for (size_t i = 0; i < x.size(); ++i) {
      const int ii = static_cast<int>(i);
      if (ii < axis) {
        outer *= x[i];
      } else if (ii == axis || flatten_) {
        len *= x[i];
      } else {
        inner *= x[i];
      }
    }
    if (outer * len * inner == 0) return absl::OkStatus();
    return b.Softmax(outer, len, inner, static_cast<const float*>(in[0].data),
                     static_cast<float*>(out[0].data));
  }

 private:
  int64_t axis_;
  bool flatten_;
};

class ReduceKernel final : public OpKernel {
 public:
  ReduceKernel(std::string kind, ReduceOp op,
               std::optional<std::vector<int64_t>> axes, bool keepdims,
               bool noop)
      : kind_(std::move(kind)),
        op_(op),
        axes_(std::move(axes)),
        keepdims_(keepdims),
        noop_(noop) {}
  std::string Kind() const override { return kind_; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    if (in[0]->type != TensorType::kFloat32) {
      return absl::InvalidArgumentError(kind_ + " input must be float32");
    }
    absl::StatusOr<std::vector<bool>> red = Reduced(in);
    if (!red.ok()) return red.status();
    const std::vector<int64_t>& x = in[0]->shape;
    out[0].type = TensorType::kFloat32;
    out[0].shape.clear();
    for (size_t i = 0; i < x.size(); ++i) {
      if (!(*red)[i]) {
        out[0].shape.push_back(x[i]);
      } else if (keepdims_) {
        out[0].shape.push_back(1);
      }
    }
    return absl::OkStatus();
  }

  size_t ScratchBytes(absl::Span<const TensorMeta* const> in,
                      const std::vector<TensorMeta>& out) const override {
    return NumElements(in[0]->shape) * sizeof(float);
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out,
                   void* scratch) const override {
    std::vector<const TensorMeta*> metas;
    for (const TensorRef& t : in) metas.push_back(t.meta);
    std::vector<bool> red = *Reduced(metas);
    const std::vector<int64_t>& x = in[0].meta->shape;
    const int r = static_cast<int>(x.size());
    const auto* src = static_cast<const float*>(in[0].data);
    auto* dst = static_cast<float*>(out[0].data);
    const int64_t n = NumElements(x);
    // Dims of size 1 do not matter; are the reduced ones one run?
    int first = -1, last = -1;
    bool contiguous = true;
    for (int i = 0; i < r; ++i) {
      if (!red[i] || x[i] == 1) continue;
      if (first < 0) first = i;
      for (int j = last + 1; last >= 0 && j < i; ++j) {
        if (!red[j] && x[j] != 1) contiguous = false;
      }
      last = i;
    }
    if (first < 0) {  // nothing (or only size-1 dims) reduced: a copy
      if (n == 0) return absl::OkStatus();
      return b.Reduce(op_, n, 1, 1, src, dst);
    }
    if (contiguous) {
      int64_t outer = 1, len = 1, inner = 1;
      for (int i = 0; i < r; ++i) {
        (i < first ? outer : i <= last ? len : inner) *= x[i];
      }
      return b.Reduce(op_, outer, len, inner, src, dst);
    }
    // Kept dims first, reduced dims last, then one reduction.
    std::vector<int> perm;
    int64_t kept = 1, len = 1;
    for (int i = 0; i < r; ++i) {
      if (!red[i]) {
        perm.push_back(i);
        kept *= x[i];
      }
    }
    for (int i = 0; i < r; ++i) {
      if (red[i]) {
        perm.push_back(i);
        len *= x[i];
      }
    }
    absl::Status s = b.Transpose(sizeof(float), ToDims(x), perm, src, scratch);
    if (!s.ok()) return s;
    return b.Reduce(op_, kept, len, 1, static_cast<const float*>(scratch), dst);
  }

 private:
  absl::StatusOr<std::vector<bool>> Reduced(
      absl::Span<const TensorMeta* const> in) const {
    const int64_t r = static_cast<int64_t>(in[0]->shape.size());
    std::optional<std::vector<int64_t>> axes = axes_;
    if (!axes && in.size() > 1 && in[1] != nullptr) {
      absl::StatusOr<std::vector<int64_t>> a = HostInts(in[1], "axes");
      if (!a.ok()) return a.status();
      axes = *a;
    }
    std::vector<bool> red(r, false);
    if (!axes || axes->empty()) {
      if (!noop_) red.assign(r, true);
      return red;
    }
    for (int64_t a : *axes) {
      absl::StatusOr<int> n = NormalizeAxis(a, r);
      if (!n.ok()) return n.status();
      red[*n] = true;
    }
    return red;
  }

  std::string kind_;
  ReduceOp op_;
  std::optional<std::vector<int64_t>> axes_;
  bool keepdims_;
  bool noop_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<OpKernel>> MakeReduceKernel(
    const onnx::NodeProto& node, int64_t opset) {
  NodeAttrs attrs(node);
  const std::string& op = node.op_type();
  if (node.input_size() < 1) return NodeError(node, "missing input");
  if (op == "Softmax") {
    absl::Status s = attrs.CheckKnown({"axis"});
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> axis = attrs.Int("axis", opset >= 13 ? -1 : 1);
    if (!axis.ok()) return axis.status();
    return std::make_unique<SoftmaxKernel>(*axis, opset < 13);
  }
  absl::Status s =
      attrs.CheckKnown({"axes", "keepdims", "noop_with_empty_axes"});
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<std::vector<int64_t>>> axes = attrs.Ints("axes");
  absl::StatusOr<int64_t> keepdims = attrs.Int("keepdims", 1);
  absl::StatusOr<int64_t> noop = attrs.Int("noop_with_empty_axes", 0);
  if (!axes.ok()) return axes.status();
  if (!keepdims.ok()) return keepdims.status();
  if (!noop.ok()) return noop.status();
  if (*keepdims != 0 && *keepdims != 1) {
    return NodeError(node, "attribute 'keepdims' must be 0 or 1");
  }
  const ReduceOp rop = op == "ReduceSum"    ? ReduceOp::kSum
                       : op == "ReduceMean" ? ReduceOp::kMean
                                            : ReduceOp::kMax;
  return std::make_unique<ReduceKernel>(op, rop, *axes, *keepdims != 0,
                                        *noop != 0);
}

}  // namespace strata
