// OpKernel: one ONNX operator as the executor runs it. A kernel is made
// once per node at Load (attributes parsed and checked there) and is then
// immutable: Infer computes output shapes (and, for shape-only operators
// such as Shape, output values) from input metadata, and Run issues the
// operation on a TensorBackend with every shape and stride computed on the
// host.
//
// Values known on the host at plan time (constants, and values computed
// from the batch size alone) travel in TensorMeta::value; kernels that need
// such an input (Reshape's target, Slice's starts, axes given as inputs)
// refuse a runtime tensor there in Infer.
//
// Ownership: kernels are owned by their graph node. Thread safety: const
// methods only, safe to call from any number of threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/common/tensor_backend.h"
#include "engine/model/dense/host_tensor.h"

namespace onnx {
class NodeProto;
}

namespace strata {

struct TensorMeta {
  TensorType type = TensorType::kFloat32;
  std::vector<int64_t> shape;
  // Set when the value is known on the host at plan time.
  std::shared_ptr<const HostTensor> value;
};

// A tensor as Run sees it: backend memory plus its host metadata.
struct TensorRef {
  void* data = nullptr;
  const TensorMeta* meta = nullptr;
};

class ElementwiseKernel;
class LinearKernel;

class OpKernel {
 public:
  virtual ~OpKernel() = default;

  // Fills `out` (one entry per node output) from the inputs (nullptr for an
  // absent optional input).
  [[nodiscard]] virtual absl::Status Infer(
      absl::Span<const TensorMeta* const> in,
      std::vector<TensorMeta>& out) const = 0;
  // Output 0 is input 0's elements under a new shape (no copy).
  virtual bool IsView() const { return false; }
  // Temporary backend memory Run needs.
  virtual size_t ScratchBytes(absl::Span<const TensorMeta* const> in,
                              const std::vector<TensorMeta>& out) const {
    return 0;
  }
  [[nodiscard]] virtual absl::Status Run(TensorBackend& backend,
                                         absl::Span<const TensorRef> in,
                                         absl::Span<const TensorRef> out,
                                         void* scratch) const = 0;
  // A short name for Describe (e.g. "Gemm+Relu").
  virtual std::string Kind() const = 0;

  // True when this is a Transpose that swaps the last two axes of a rank
  // `rank` input and keeps the others (a matrix product can read its input
  // transposed instead).
  virtual bool SwapsLastTwoAxes(size_t rank) const { return false; }

  virtual const ElementwiseKernel* AsElementwise() const { return nullptr; }
  virtual const LinearKernel* AsLinear() const { return nullptr; }
};

// Makes the kernel of `node` (never Constant: the graph folds those), or
// INVALID_ARGUMENT naming the node for an unsupported operator or attribute.
[[nodiscard]] absl::StatusOr<std::unique_ptr<OpKernel>> MakeKernel(
    const onnx::NodeProto& node, int64_t opset);

// ---- Helpers shared by the kernels ----------------------------------------

// INVALID_ARGUMENT "node 'name' (op): msg".
absl::Status NodeError(const onnx::NodeProto& node, absl::string_view msg);

// Axis in [-rank, rank) to [0, rank), or an error.
absl::StatusOr<int> NormalizeAxis(int64_t axis, int64_t rank);

// numpy broadcast of two shapes, or an error.
absl::StatusOr<std::vector<int64_t>> BroadcastShapes(
    const std::vector<int64_t>& a, const std::vector<int64_t>& b);

// Element strides of `shape` read as broadcast to `out` (right-aligned;
// stride 0 on broadcast axes).
void BroadcastStrides(const std::vector<int64_t>& shape,
                      const std::vector<int64_t>& out, int64_t* strides);

Dims ToDims(const std::vector<int64_t>& shape);

// Checks rank <= kMaxRank.
absl::Status CheckRank(const std::vector<int64_t>& shape);

}  // namespace strata
