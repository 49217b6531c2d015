#include "engine/model/dense/op_kernel.h"

#include "absl/strings/str_cat.h"
#include "engine/model/dense/elementwise_kernel.h"
#include "engine/model/dense/kernel_factories.h"
#include "engine/model/dense/linear_kernel.h"
#include "onnx/onnx.pb.h"

namespace strata {

absl::StatusOr<std::unique_ptr<OpKernel>> MakeKernel(
    const onnx::NodeProto& node, int64_t opset) {
  const std::string& op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx") {
    return NodeError(node, absl::StrCat("unsupported operator domain '",
                                        node.domain(), "'"));
  }
  if (ElementwiseKernel::Handles(op)) return ElementwiseKernel::Make(node);
  if (op == "Gemm" || op == "MatMul") return LinearKernel::Make(node);
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" ||
      op == "Unsqueeze" || op == "Identity") {
    return MakeViewKernel(node);
  }
  if (op == "Transpose" || op == "Concat" || op == "Gather" || op == "Slice" ||
      op == "Expand") {
    return MakeMovementKernel(node);
  }
  if (op == "Shape" || op == "Cast" || op == "ConstantOfShape") {
    return MakeValueKernel(node);
  }
  if (op == "Softmax" || op == "ReduceSum" || op == "ReduceMean" ||
      op == "ReduceMax") {
    return MakeReduceKernel(node, opset);
  }
  return NodeError(node, "unsupported operator");
}

absl::Status NodeError(const onnx::NodeProto& node, absl::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrCat("node '", node.name(), "' (", node.op_type(), "): ", msg));
}

absl::StatusOr<int> NormalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis ", axis, " out of range for rank ", rank));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

absl::StatusOr<std::vector<int64_t>> BroadcastShapes(
    const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("shapes do not broadcast (dim ", da, " vs ", db, ")"));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void BroadcastStrides(const std::vector<int64_t>& shape,
                      const std::vector<int64_t>& out, int64_t* strides) {
  const size_t r = out.size(), off = r - shape.size();
  int64_t s = 1;
  for (size_t i = r; i-- > 0;) {
    if (i < off) {
      strides[i] = 0;
      continue;
    }
    const int64_t d = shape[i - off];
    strides[i] = d == 1 ? 0 : s;
    s *= d;
  }
}

Dims ToDims(const std::vector<int64_t>& shape) {
  Dims d;
  d.rank = static_cast<int>(shape.size());
  for (int i = 0; i < d.rank && i < kMaxRank; ++i) d.d[i] = shape[i];
  return d;
}

absl::Status CheckRank(const std::vector<int64_t>& shape) {
  if (shape.size() > static_cast<size_t>(kMaxRank)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank ", shape.size(), " exceeds ", kMaxRank));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> HostInts(const TensorMeta* m,
                                              absl::string_view what) {
  if (m == nullptr)
    return absl::InvalidArgumentError(absl::StrCat(what, " missing"));
  if (m->value == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what,
                     " must be known on the host (a constant or computed from "
                     "shapes), not a runtime tensor"));
  }
  return m->value->AsInts();
}

}  // namespace strata
