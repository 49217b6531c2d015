// Data movement: Transpose, Concat, Gather, Slice, Expand. Every one is a
// single backend copy (strided, 2-D, or gather) planned from host shapes;
// they are type-agnostic (float32 or int64).
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/model/dense/kernel_factories.h"
#include "engine/model/dense/onnx_proto_util.h"

namespace strata {
namespace {

void ContiguousStrides(const std::vector<int64_t>& shape, int64_t* strides) {
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
}

class TransposeKernel final : public OpKernel {
 public:
  explicit TransposeKernel(std::optional<std::vector<int64_t>> perm)
      : perm_(std::move(perm)) {}
  std::string Kind() const override { return "Transpose"; }

  bool SwapsLastTwoAxes(size_t rank) const override {
    absl::StatusOr<std::vector<int>> perm = Perm(rank);
    if (!perm.ok() || rank < 2) return false;
    for (size_t i = 0; i + 2 < rank; ++i) {
      if ((*perm)[i] != static_cast<int>(i)) return false;
    }
    return (*perm)[rank - 2] == static_cast<int>(rank - 1) &&
           (*perm)[rank - 1] == static_cast<int>(rank - 2);
  }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    const std::vector<int64_t>& x = in[0]->shape;
    absl::StatusOr<std::vector<int>> perm = Perm(x.size());
    if (!perm.ok()) return perm.status();
    out[0].type = in[0]->type;
    out[0].shape.clear();
    for (int p : *perm) out[0].shape.push_back(x[p]);
    return CheckRank(x);
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out, void*) const override {
    std::vector<int> perm = *Perm(in[0].meta->shape.size());
    return b.Transpose(ElementBytes(in[0].meta->type),
                       ToDims(in[0].meta->shape), perm, in[0].data,
                       out[0].data);
  }

 private:
  absl::StatusOr<std::vector<int>> Perm(size_t rank) const {
    std::vector<int> perm(rank);
    if (!perm_) {
      for (size_t i = 0; i < rank; ++i)
        perm[i] = static_cast<int>(rank - 1 - i);
      return perm;
    }
    if (perm_->size() != rank) {
      return absl::InvalidArgumentError("Transpose: perm length != rank");
    }
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < rank; ++i) {
      const int64_t p = (*perm_)[i];
      if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p]) {
        return absl::InvalidArgumentError(
            "Transpose: perm is not a permutation");
      }
      seen[p] = true;
      perm[i] = static_cast<int>(p);
    }
    return perm;
  }

  std::optional<std::vector<int64_t>> perm_;
};

class ConcatKernel final : public OpKernel {
 public:
  explicit ConcatKernel(int64_t axis) : axis_(axis) {}
  std::string Kind() const override { return "Concat"; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    const std::vector<int64_t>& x = in[0]->shape;
    absl::StatusOr<int> axis = NormalizeAxis(axis_, x.size());
    if (!axis.ok()) return axis.status();
    std::vector<int64_t> shape = x;
    shape[*axis] = 0;
    for (const TensorMeta* m : in) {
      if (m == nullptr) return absl::InvalidArgumentError("missing input");
      if (m->type != in[0]->type || m->shape.size() != x.size()) {
        return absl::InvalidArgumentError(
            "Concat: inputs differ in type or rank");
      }
      for (size_t i = 0; i < x.size(); ++i) {
        if (static_cast<int>(i) != *axis && m->shape[i] != x[i]) {
          return absl::InvalidArgumentError(
              absl::StrCat("Concat: inputs differ in dim ", i, " (",
                           m->shape[i], " vs ", x[i], ")"));
        }
      }
      shape[*axis] += m->shape[*axis];
    }
    out[0].type = in[0]->type;
    out[0].shape = std::move(shape);
    return absl::OkStatus();
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out, void*) const override {
    const std::vector<int64_t>& shape = out[0].meta->shape;
    const int axis = *NormalizeAxis(axis_, shape.size());
    const size_t eb = ElementBytes(out[0].meta->type);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= shape[i];
    for (size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
    const size_t pitch = shape[axis] * inner * eb;
    size_t offset = 0;
    for (const TensorRef& t : in) {
      const size_t row = t.meta->shape[axis] * inner * eb;
      if (row > 0 && outer > 0) {
        absl::Status s = b.Copy2D(static_cast<char*>(out[0].data) + offset,
                                  pitch, t.data, row, row, outer);
        if (!s.ok()) return s;
      }
      offset += row;
    }
    return absl::OkStatus();
  }

 private:
  int64_t axis_;
};

class GatherKernel final : public OpKernel {
 public:
  explicit GatherKernel(int64_t axis) : axis_(axis) {}
  std::string Kind() const override { return "Gather"; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    if (in.size() != 2 || in[1] == nullptr) {
      return absl::InvalidArgumentError("Gather takes 2 inputs");
    }
    const std::vector<int64_t>& x = in[0]->shape;
    absl::StatusOr<int> axis = NormalizeAxis(axis_, x.size());
    if (!axis.ok()) return axis.status();
    if (in[1]->type != TensorType::kInt64) {
      return absl::InvalidArgumentError("Gather: indices must be integers");
    }
    std::vector<int64_t> shape(x.begin(), x.begin() + *axis);
    shape.insert(shape.end(), in[1]->shape.begin(), in[1]->shape.end());
    shape.insert(shape.end(), x.begin() + *axis + 1, x.end());
    out[0].type = in[0]->type;
    out[0].shape = std::move(shape);
    return CheckRank(out[0].shape);
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out, void*) const override {
    const std::vector<int64_t>& x = in[0].meta->shape;
    const int axis = *NormalizeAxis(axis_, x.size());
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= x[i];
    for (size_t i = axis + 1; i < x.size(); ++i) inner *= x[i];
    return b.Gather(ElementBytes(in[0].meta->type), outer, x[axis], inner,
                    in[0].data, static_cast<const int64_t*>(in[1].data),
                    NumElements(in[1].meta->shape), out[0].data);
  }

 private:
  int64_t axis_;
};

// Slice (opset 13: starts, ends, axes, steps as inputs) and Expand.
class StridedKernel final : public OpKernel {
 public:
  explicit StridedKernel(bool slice) : slice_(slice) {}
  std::string Kind() const override { return slice_ ? "Slice" : "Expand"; }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    Plan p;
    absl::Status s = MakePlan(in, &p);
    if (!s.ok()) return s;
    out[0].type = in[0]->type;
    out[0].shape = std::move(p.shape);
    return CheckRank(out[0].shape);
  }

  absl::Status Run(TensorBackend& b, absl::Span<const TensorRef> in,
                   absl::Span<const TensorRef> out, void*) const override {
    std::vector<const TensorMeta*> metas;
    for (const TensorRef& t : in) metas.push_back(t.meta);
    Plan p;
    absl::Status s = MakePlan(metas, &p);
    if (!s.ok()) return s;
    if (NumElements(p.shape) == 0) return absl::OkStatus();
    const size_t eb = ElementBytes(in[0].meta->type);
    return b.StridedCopy(eb, ToDims(p.shape),
                         static_cast<const char*>(in[0].data) + p.offset * eb,
                         p.strides, out[0].data);
  }

 private:
  struct Plan {
    std::vector<int64_t> shape;
    int64_t offset = 0;
    int64_t strides[kMaxRank] = {};
  };

  absl::Status MakePlan(absl::Span<const TensorMeta* const> in, Plan* p) const {
    const std::vector<int64_t>& x = in[0]->shape;
    absl::Status s = CheckRank(x);
    if (!s.ok()) return s;
    if (!slice_) {
      if (in.size() != 2)
        return absl::InvalidArgumentError("Expand takes 2 inputs");
      absl::StatusOr<std::vector<int64_t>> target =
          HostInts(in[1], "Expand's shape");
      if (!target.ok()) return target.status();
      absl::StatusOr<std::vector<int64_t>> shape = BroadcastShapes(x, *target);
      if (!shape.ok()) return shape.status();
      s = CheckRank(*shape);
      if (!s.ok()) return s;
      p->shape = *shape;
      BroadcastStrides(x, p->shape, p->strides);
      return absl::OkStatus();
    }
    if (in.size() < 3)
      return absl::InvalidArgumentError("Slice takes 3-5 inputs");
    absl::StatusOr<std::vector<int64_t>> starts = HostInts(in[1], "starts");
    absl::StatusOr<std::vector<int64_t>> ends = HostInts(in[2], "ends");
    if (!starts.ok()) return starts.status();
    if (!ends.ok()) return ends.status();
    const size_t n = starts->size();
    std::vector<int64_t> axes(n), steps(n, 1);
    for (size_t i = 0; i < n; ++i) axes[i] = static_cast<int64_t>(i);
    if (in.size() > 3 && in[3] != nullptr) {
      absl::StatusOr<std::vector<int64_t>> a = HostInts(in[3], "axes");
      if (!a.ok()) return a.status();
      axes = *a;
    }
    if (in.size() > 4 && in[4] != nullptr) {
      absl::StatusOr<std::vector<int64_t>> st = HostInts(in[4], "steps");
      if (!st.ok()) return st.status();
      steps = *st;
    }
    if (ends->size() != n || axes.size() != n || steps.size() != n) {
      return absl::InvalidArgumentError("Slice: inputs differ in length");
    }
    int64_t base[kMaxRank];
    ContiguousStrides(x, base);
    p->shape = x;
    for (size_t i = 0; i < x.size(); ++i) p->strides[i] = base[i];
    for (size_t i = 0; i < n; ++i) {
      absl::StatusOr<int> a = NormalizeAxis(axes[i], x.size());
      if (!a.ok()) return a.status();
      const int64_t dim = x[*a], step = steps[i];
      if (step == 0) return absl::InvalidArgumentError("Slice: step 0");
      int64_t start = (*starts)[i], end = (*ends)[i];
      if (start < 0) start += dim;
      if (end < 0) end += dim;
      if (step > 0) {
        start = std::clamp<int64_t>(start, 0, dim);
        end = std::clamp<int64_t>(end, 0, dim);
      } else {
        start = std::clamp<int64_t>(start, 0, dim - 1);
        end = std::clamp<int64_t>(end, -1, dim - 1);
      }
      const int64_t len =
          step > 0 ? std::max<int64_t>(0, (end - start + step - 1) / step)
                   : std::max<int64_t>(0, (start - end - step - 1) / -step);
      p->shape[*a] = len;
      if (len > 0) p->offset += start * base[*a];
      p->strides[*a] = base[*a] * step;
    }
    return absl::OkStatus();
  }

  bool slice_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<OpKernel>> MakeMovementKernel(
    const onnx::NodeProto& node) {
  NodeAttrs attrs(node);
  const std::string& op = node.op_type();
  if (node.input_size() < 1) return NodeError(node, "missing input");
  if (op == "Transpose") {
    absl::Status s = attrs.CheckKnown({"perm"});
    if (!s.ok()) return s;
    absl::StatusOr<std::optional<std::vector<int64_t>>> perm =
        attrs.Ints("perm");
    if (!perm.ok()) return perm.status();
    return std::make_unique<TransposeKernel>(*perm);
  }
  if (op == "Concat") {
    absl::Status s = attrs.CheckKnown({"axis"});
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> axis = attrs.Int("axis", INT64_MIN);
    if (!axis.ok()) return axis.status();
    if (*axis == INT64_MIN) return NodeError(node, "missing attribute 'axis'");
    return std::make_unique<ConcatKernel>(*axis);
  }
  if (op == "Gather") {
    absl::Status s = attrs.CheckKnown({"axis"});
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> axis = attrs.Int("axis", 0);
    if (!axis.ok()) return axis.status();
    return std::make_unique<GatherKernel>(*axis);
  }
  absl::Status s = attrs.CheckKnown({});
  if (!s.ok()) return s;
  return std::make_unique<StridedKernel>(op == "Slice");
}

}  // namespace strata
