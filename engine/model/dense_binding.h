// Binding a dense network's graph inputs to what a request carries: the
// dense features, one table's rows, or several tables' rows stacked.
//
// Explicit bindings ("NAME=dense", "NAME=table:T", "NAME=tables:T1,T2,...",
// the form `strata import --dense-input` takes) come first; then an input
// named "dense" binds to the dense features and an input named like a table
// binds to that table. An input left unbound, a binding naming no input or
// no table, or a shape that does not fit its binding refuses the whole
// network, naming the input.
//
// Plain functions; no state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/dense/dense_network.h"
#include "engine/model/model_manifest.h"

namespace strata {

// Shapes each input must have: dense (B, F); table:T (B, dim of T);
// tables:T1..Tn (B, n, dim), every Ti of that dim.
[[nodiscard]] absl::StatusOr<DenseSpec> BindDenseInputs(
    const DenseNetwork& network, const std::vector<TableSpec>& tables,
    const std::vector<std::string>& explicit_bindings);

// Loads `onnx` (refusing what DenseNetwork::Load refuses, prefixed "dense
// graph: ") and binds it; sets graph_bytes. For importers.
[[nodiscard]] absl::StatusOr<DenseSpec> BindDenseGraph(
    std::string_view onnx, const std::vector<TableSpec>& tables,
    const std::vector<std::string>& explicit_bindings);

}  // namespace strata
