// Factories of the kernels that live in their own .cc files, for
// MakeKernel (op_kernel.cc). Each returns INVALID_ARGUMENT naming the node
// for a bad attribute.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "engine/model/dense/op_kernel.h"

namespace strata {

// view_kernels.cc: Reshape, Flatten, Squeeze, Unsqueeze, Identity.
absl::StatusOr<std::unique_ptr<OpKernel>> MakeViewKernel(
    const onnx::NodeProto& node);
// movement_kernels.cc: Transpose, Concat, Gather, Slice, Expand.
absl::StatusOr<std::unique_ptr<OpKernel>> MakeMovementKernel(
    const onnx::NodeProto& node);
// value_kernels.cc: Shape, Cast, ConstantOfShape.
absl::StatusOr<std::unique_ptr<OpKernel>> MakeValueKernel(
    const onnx::NodeProto& node);
// reduce_kernels.cc: Softmax, ReduceSum, ReduceMean, ReduceMax.
absl::StatusOr<std::unique_ptr<OpKernel>> MakeReduceKernel(
    const onnx::NodeProto& node, int64_t opset);

// The int64 elements of a host-known input (axes, shapes, starts), or an
// error naming `what` when the input is a runtime tensor.
absl::StatusOr<std::vector<int64_t>> HostInts(const TensorMeta* m,
                                              absl::string_view what);

}  // namespace strata
