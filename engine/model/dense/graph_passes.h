// The load-time passes over a parsed Graph.
//
// FoldConstants evaluates (on the host, with the CPU backend) every node
// whose inputs are all constants, and every Shape of a tensor whose shape
// does not depend on the batch, replacing their outputs by constants; then
// drops nodes nothing uses. Whether a shape depends on the batch is found
// by planning the graph at two batch sizes (2 and 3).
//
// FoldTransposes lets a MatMul read its B operand transposed when B comes
// from a Transpose that swaps the last two axes (DLRM's interaction,
// bmm(T, T^T)): the copy disappears, the product reads the Transpose's
// input with trans_b.
//
// FuseElementwise merges adjacent nodes into one kernel: chains of
// element-wise nodes into one program (one pass over the data), Gemm ->
// Add(bias) into Gemm's C, and a matrix product followed by element-wise
// nodes into the product's epilogue. A value is fused away only when one
// node reads it and it is not a graph output.
//
// Thread safety: none (Load only).
#pragma once

#include "absl/status/status.h"
#include "engine/model/dense/onnx_graph.h"

namespace strata {

[[nodiscard]] absl::Status FoldConstants(Graph* g);
[[nodiscard]] absl::Status FoldTransposes(Graph* g);
[[nodiscard]] absl::Status FuseElementwise(Graph* g);

}  // namespace strata
