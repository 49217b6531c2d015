// Imports a HugeCTR sparse model into a ModelStore as a new model version.
// A Strata snapshot folder (snapshot.h) imports the same way, its checksums
// verified first and its dims, default rows, offsets and dense graph taken
// from its description.
//
// Input: a folder holding one `<table>.model/` folder per table, each with
//   key         int64 little-endian keys, (rows)
//   emb_vector  float32 little-endian rows, (rows, dim), in key order.
// Every table is validated (sizes, dim, duplicate keys) and written to SST
// files before anything becomes visible; the files are then ingested and the
// manifest is written last. A failed import leaves no trace. An optional
// ONNX dense network is loaded and bound first, and stored with the version.
//
// Not thread-safe with respect to other writers of the same model name.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/model/model_manifest.h"
#include "engine/model/model_store.h"

namespace strata {

// How far an import is: rows written to SST files so far, of all tables'
// rows; `phase` is "writing" while the files are written, then "ingesting".
struct ImportProgress {
  uint64_t rows_done = 0;
  uint64_t rows_total = 0;
  const char* phase = "writing";
  std::string table;  // the table being written
};

// One table read from its own folder (HPS's sparse_files list them so).
struct HugeCtrTableSource {
  std::string name;  // the table's name in Strata
  std::string dir;   // holds `key` and `emb_vector`
  uint32_t dim = 0;  // expected dim; 0 infers it
  float default_value = 0.0f;
  std::string default_row;  // default_row.h spec; empty: default_value
};

struct ImportOptions {
  // The version to create; 0 = one above the newest stored. An existing
  // version is ALREADY_EXISTS.
  uint64_t version = 0;
  // When not empty, the tables to import, each from its own folder, instead
  // of the <table>.model folders of `from_dir`.
  std::vector<HugeCtrTableSource> tables;
  // Expected dim of every table; 0 infers it from the file sizes.
  uint32_t dim = 0;
  // Element value of the default row of every table.
  float default_value = 0.0f;
  // A vector or per-key hashed default row of every table, as
  // engine/store/default_row.h spells it (empty: default_value). Checked
  // against each table's dim before anything is written.
  std::string default_row;
  // Update offsets the snapshot was built at ("<topic>/<partition>" -> next
  // offset not included); older deltas are skipped when it serves.
  std::map<std::string, int64_t> update_offsets;
  // The dense network Infer runs (a serialized ONNX graph; empty: none), and
  // its input bindings ("NAME=dense", "NAME=table:T", "NAME=tables:T1,..."),
  // see dense_binding.h. A graph that does not load or bind refuses the
  // import before anything is written.
  std::string dense_graph;
  std::vector<std::string> dense_inputs;
  // Called on the importing thread every few hundred thousand rows and at
  // each phase change (empty: no reports). It must not throw.
  std::function<void(const ImportProgress&)> progress;
  // When set and true, the import stops at its next progress step with
  // CANCELLED, leaving nothing behind.
  const std::atomic<bool>* cancel = nullptr;
};

// What a table's `key` and `emb_vector` files hold, judged by their sizes.
struct HugeCtrTableShape {
  uint64_t rows = 0;
  uint32_t dim = 0;
};

// The size checks an import makes before reading a table's files: a key file
// of `key_bytes` must hold whole int64 keys (at least one), and an emb_vector
// of `emb_bytes` exactly rows x 4 x dim bytes for one whole dim, equal to
// `expected_dim` unless that is 0. INVALID_ARGUMENT names `table` and what
// disagrees. A pure function of its arguments.
[[nodiscard]] absl::StatusOr<HugeCtrTableShape> CheckHugeCtrTableSizes(
    const std::string& table, uint64_t key_bytes, uint64_t emb_bytes,
    uint32_t expected_dim);

// Parses "topic/partition=offset,..." into ImportOptions::update_offsets.
[[nodiscard]] absl::StatusOr<std::map<std::string, int64_t>> ParseUpdateOffsets(
    const std::string& text);

// What an import of `from_dir` (or options.tables) would create, judged by
// the files' sizes alone (no row is read): every table's name, dim and rows,
// or the error the import would stop with before writing anything. Cheap.
[[nodiscard]] absl::StatusOr<std::vector<TableSpec>> InspectHugeCtrModel(
    const std::string& from_dir, const ImportOptions& options);

[[nodiscard]] absl::StatusOr<ModelManifest> ImportHugeCtrModel(
    ModelStore* store, const std::string& model, const std::string& from_dir,
    const ImportOptions& options);

}  // namespace strata
