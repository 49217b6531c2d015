// Snapshots: one model version as a self-describing folder that `strata
// import`, Admin/LoadModel and a bootstrapping pod load like any HugeCTR
// sparse model. The folder holds
//   <table>.model/key, <table>.model/emb_vector  HugeCTR's layout, keys
//                                                ascending
//   dense.onnx                                   the dense graph, if any
//   strata_snapshot.json                         written last: what the
//       version is (tables with dim, rows, default value and the CRC-32C of
//       both files; dense input bindings) and the update offsets its rows
//       include, so a loader resumes Kafka exactly after them.
// The rows, and the offsets stored with them, are read from one consistent
// view of the store while it serves.
//
// Thread safety: free functions; ExportSnapshot may run while the store
// serves and takes updates.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/hugectr_importer.h"
#include "engine/model/model_manifest.h"
#include "engine/model/model_store.h"

namespace strata {

inline constexpr char kSnapshotFile[] = "strata_snapshot.json";

struct SnapshotTable {
  std::string name;
  uint32_t dim = 0;
  uint64_t rows = 0;
  float default_value = 0.0f;
  uint32_t key_crc32c = 0;
  uint32_t emb_crc32c = 0;
  std::string default_row;  // default_row.h spec; empty: default_value
};

struct SnapshotInfo {
  std::string model;
  uint64_t version = 0;
  std::vector<SnapshotTable> tables;
  // "<topic>/<partition>" -> the next offset not included in the rows.
  std::map<std::string, int64_t> update_offsets;
  // The dense graph's input bindings ("NAME=dense", ...); empty: no graph.
  std::vector<std::string> dense_inputs;

  std::string ToJson() const;
  static absl::StatusOr<SnapshotInfo> FromJson(const std::string& json);
};

// Writes version `manifest` of `store` to `out_dir` (created; it must not
// exist or be empty). `progress(rows_done, rows_total)` is called every few
// hundred thousand rows (rows_total from the manifest; updates may add
// rows). Cancelled (CANCELLED) when *cancel turns true. On failure the
// folder holds no strata_snapshot.json, so nothing loads it.
[[nodiscard]] absl::StatusOr<SnapshotInfo> ExportSnapshot(
    const ModelStore& store, const ModelManifest& manifest,
    const std::string& out_dir,
    const std::function<void(uint64_t, uint64_t)>& progress = nullptr,
    const std::atomic<bool>* cancel = nullptr);

// Whether `dir` holds a snapshot (its strata_snapshot.json).
bool IsSnapshotDir(const std::string& dir);

// Reads the snapshot in `dir` and makes `options` import it: one table source
// per table with its dim and default value, the snapshot's update offsets
// (unless `options` names its own) and its dense graph. With `verify`, every
// file's size and CRC-32C are checked first: DATA_LOSS names the first that
// disagrees.
[[nodiscard]] absl::StatusOr<SnapshotInfo> PrepareSnapshotImport(
    const std::string& dir, bool verify, ImportOptions* options);

}  // namespace strata
