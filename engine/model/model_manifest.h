// ModelManifest: what one version of a model is made of: its tables and,
// optionally, the dense network Infer runs on their rows. Stored as JSON in
// the data dir's metadata, written last by an import, so a model is visible
// only once all its tables are.
//
// Plain value types; not synchronized.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace strata {

struct TableSpec {
  std::string name;
  uint32_t dim = 0;
  uint64_t rows = 0;
  float default_value = 0.0f;  // every element of a missing key's row
  std::string column_family;   // RocksDB column family that holds the rows
  // A vector or per-key hashed default row (engine/store/default_row.h);
  // empty: every element default_value.
  std::string default_row;
};

// What one graph input of a dense network receives.
struct DenseBinding {
  enum class Kind : uint8_t {
    kDense,   // the request's dense features, (B, F)
    kTable,   // one table's (pooled) rows, (B, dim)
    kTables,  // several tables' rows stacked in order, (B, n, dim)
  };
  std::string input;  // the graph input's name
  Kind kind = Kind::kDense;
  std::vector<std::string> tables;  // kTable: one; kTables: n, in order

  // "dense", "table:T" or "tables:T1,T2,..." (the form --dense-input takes).
  std::string ToString() const;
};

// A model version's dense network: the ONNX graph (stored beside the
// manifest under `graph_id`) and how its inputs are bound.
struct DenseSpec {
  std::string graph_id;
  uint64_t graph_bytes = 0;
  uint32_t dense_features = 0;         // F; 0 when no input is bound to "dense"
  std::vector<DenseBinding> bindings;  // one per graph input, graph order
  std::vector<std::string> outputs;    // graph output names, graph order
};

struct ModelManifest {
  std::string name;
  uint64_t version = 0;
  std::vector<TableSpec> tables;
  int64_t created_unix_s = 0;
  // Update offsets this version was built at: "<topic>/<partition>" -> the
  // next offset not included. Deltas below them are already in the snapshot
  // and are skipped (engine/update/applier.h).
  std::map<std::string, int64_t> update_offsets;
  // The dense network that Infer runs; absent for lookup-only models.
  std::optional<DenseSpec> dense;

  const TableSpec* FindTable(const std::string& table) const;
  std::string ToJson() const;
  static absl::StatusOr<ModelManifest> FromJson(const std::string& json);
};

// Model and table names: 1-128 characters of [A-Za-z0-9_.-].
[[nodiscard]] absl::Status ValidateName(const std::string& what,
                                        const std::string& name);

}  // namespace strata
