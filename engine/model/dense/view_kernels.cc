// Reshape, Flatten, Squeeze, Unsqueeze and Identity: output 0 is input 0's
// elements under a new shape, so the executor aliases the buffers and Run
// has nothing to do.
#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "engine/model/dense/kernel_factories.h"
#include "engine/model/dense/onnx_proto_util.h"

namespace strata {
namespace {

enum class ViewOp : uint8_t {
  kReshape,
  kFlatten,
  kSqueeze,
  kUnsqueeze,
  kIdentity
};

class ViewKernel final : public OpKernel {
 public:
  ViewKernel(ViewOp op, std::string kind, int64_t axis, bool allowzero,
             std::optional<std::vector<int64_t>> axes)
      : op_(op),
        kind_(std::move(kind)),
        axis_(axis),
        allowzero_(allowzero),
        axes_(std::move(axes)) {}

  bool IsView() const override { return true; }
  std::string Kind() const override { return kind_; }

  absl::Status Run(TensorBackend&, absl::Span<const TensorRef>,
                   absl::Span<const TensorRef>, void*) const override {
    return absl::OkStatus();
  }

  absl::Status Infer(absl::Span<const TensorMeta* const> in,
                     std::vector<TensorMeta>& out) const override {
    if (in.empty() || in[0] == nullptr) {
      return absl::InvalidArgumentError("missing input");
    }
    const std::vector<int64_t>& x = in[0]->shape;
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> shape;
    switch (op_) {
      case ViewOp::kIdentity:
        shape = x;
        break;
      case ViewOp::kFlatten: {
        if (axis_ < -rank || axis_ > rank) {
          return absl::InvalidArgumentError("Flatten axis out of range");
        }
        const int64_t a = axis_ < 0 ? axis_ + rank : axis_;
        int64_t outer = 1, inner = 1;
        for (int64_t i = 0; i < rank; ++i) (i < a ? outer : inner) *= x[i];
        shape = {outer, inner};
        break;
      }
      case ViewOp::kReshape: {
        if (in.size() < 2) return absl::InvalidArgumentError("missing shape");
        absl::StatusOr<std::vector<int64_t>> target =
            HostInts(in[1], "Reshape's shape");
        if (!target.ok()) return target.status();
        shape = *target;
        int infer = -1;
        int64_t known = 1;
        for (size_t i = 0; i < shape.size(); ++i) {
          if (shape[i] == 0 && !allowzero_) {
            if (i >= x.size()) {
              return absl::InvalidArgumentError("Reshape: 0 past input rank");
            }
            shape[i] = x[i];
          }
          if (shape[i] == -1) {
            if (infer >= 0) {
              return absl::InvalidArgumentError("Reshape: two -1 dims");
            }
            infer = static_cast<int>(i);
          } else if (shape[i] < 0) {
            return absl::InvalidArgumentError("Reshape: negative dim");
          } else if (__builtin_mul_overflow(known, shape[i], &known)) {
            return absl::InvalidArgumentError(
                "Reshape: target shape has too many elements");
          }
        }
        const int64_t n = NumElements(x);
        if (infer >= 0) {
          if (known == 0 || n % known != 0) {
            return absl::InvalidArgumentError("Reshape: -1 cannot be inferred");
          }
          shape[infer] = n / known;
        }
        if (NumElements(shape) != n) {
          return absl::InvalidArgumentError(absl::StrCat(
              "Reshape: ", n, " elements do not fit the target shape"));
        }
        break;
      }
      case ViewOp::kSqueeze:
      case ViewOp::kUnsqueeze: {
        std::optional<std::vector<int64_t>> axes = axes_;
        if (!axes && in.size() > 1 && in[1] != nullptr) {
          absl::StatusOr<std::vector<int64_t>> a = HostInts(in[1], "axes");
          if (!a.ok()) return a.status();
          axes = *a;
        }
        if (op_ == ViewOp::kSqueeze) {
          std::vector<bool> drop(rank, false);
          if (!axes) {
            for (int64_t i = 0; i < rank; ++i) drop[i] = x[i] == 1;
          } else {
            for (int64_t a : *axes) {
              absl::StatusOr<int> n = NormalizeAxis(a, rank);
              if (!n.ok()) return n.status();
              if (x[*n] != 1) {
                return absl::InvalidArgumentError(absl::StrCat(
                    "Squeeze: dim ", *n, " is ", x[*n], ", not 1"));
              }
              drop[*n] = true;
            }
          }
          for (int64_t i = 0; i < rank; ++i) {
            if (!drop[i]) shape.push_back(x[i]);
          }
        } else {
          if (!axes) return absl::InvalidArgumentError("Unsqueeze: no axes");
          const int64_t r = rank + static_cast<int64_t>(axes->size());
          std::vector<bool> added(r, false);
          for (int64_t a : *axes) {
            absl::StatusOr<int> n = NormalizeAxis(a, r);
            if (!n.ok()) return n.status();
            if (added[*n]) {
              return absl::InvalidArgumentError("Unsqueeze: repeated axis");
            }
            added[*n] = true;
          }
          size_t j = 0;
          for (int64_t i = 0; i < r; ++i) {
            shape.push_back(added[i] ? 1 : x[j++]);
          }
        }
        break;
      }
    }
    absl::Status s = CheckRank(shape);
    if (!s.ok()) return s;
    out[0].type = in[0]->type;
    out[0].shape = std::move(shape);
    return absl::OkStatus();
  }

 private:
  ViewOp op_;
  std::string kind_;
  int64_t axis_;
  bool allowzero_;
  std::optional<std::vector<int64_t>> axes_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<OpKernel>> MakeViewKernel(
    const onnx::NodeProto& node) {
  NodeAttrs attrs(node);
  const std::string& op = node.op_type();
  if (node.input_size() < 1) return NodeError(node, "missing input");
  if (op == "Identity") {
    absl::Status s = attrs.CheckKnown({});
    if (!s.ok()) return s;
    return std::make_unique<ViewKernel>(ViewOp::kIdentity, op, 0, false,
                                        std::nullopt);
  }
  if (op == "Flatten") {
    absl::Status s = attrs.CheckKnown({"axis"});
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> axis = attrs.Int("axis", 1);
    if (!axis.ok()) return axis.status();
    return std::make_unique<ViewKernel>(ViewOp::kFlatten, op, *axis, false,
                                        std::nullopt);
  }
  if (op == "Reshape") {
    absl::Status s = attrs.CheckKnown({"allowzero"});
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> az = attrs.Int("allowzero", 0);
    if (!az.ok()) return az.status();
    if (node.input_size() != 2) return NodeError(node, "takes 2 inputs");
    return std::make_unique<ViewKernel>(ViewOp::kReshape, op, 0, *az != 0,
                                        std::nullopt);
  }
  absl::Status s = attrs.CheckKnown({"axes"});
  if (!s.ok()) return s;
  absl::StatusOr<std::optional<std::vector<int64_t>>> axes = attrs.Ints("axes");
  if (!axes.ok()) return axes.status();
  const bool has_input = node.input_size() > 1 && !node.input(1).empty();
  if (op == "Unsqueeze" && !*axes && !has_input) {
    return NodeError(node, "needs axes (attribute or input)");
  }
  return std::make_unique<ViewKernel>(
      op == "Squeeze" ? ViewOp::kSqueeze : ViewOp::kUnsqueeze, op, 0, false,
      *axes);
}

}  // namespace strata
