// ModelManifest: what one version of a model is made of. Stored as JSON in
// the data dir's metadata, written last by an import, so a model is visible
// only once all its tables are.
//
// Plain value types; not synchronized.
#pragma once

#include <cstdint>
#include <map>
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

  const TableSpec* FindTable(const std::string& table) const;
  std::string ToJson() const;
  static absl::StatusOr<ModelManifest> FromJson(const std::string& json);
};

// Model and table names: 1-128 characters of [A-Za-z0-9_.-].
[[nodiscard]] absl::Status ValidateName(const std::string& what,
                                        const std::string& name);

}  // namespace strata
