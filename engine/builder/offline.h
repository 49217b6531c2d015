// Offline operations on a data dir, for the CLI: writing synthetic HugeCTR
// models (model_generator.h), importing one (or a snapshot) as a model's next
// version (hugectr_importer.h), and exporting a version as a snapshot
// (snapshot.h). Import takes the data dir's lock, so it fails with
// FAILED_PRECONDITION while a server uses the dir.
//
// Thread safety: free functions; one import per data dir at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "engine/model/hugectr_importer.h"
#include "engine/model/model_generator.h"
#include "engine/model/snapshot.h"

namespace strata {

// Opens `data_dir` (creating it when missing) and imports `from_dir`.
[[nodiscard]] absl::StatusOr<ModelManifest> ImportHugeCtrIntoDataDir(
    const std::string& data_dir, const std::string& model,
    const std::string& from_dir, const ImportOptions& options);

// Opens an existing `data_dir` and writes version `version` of `model` (0:
// the newest stored) as a snapshot folder `out_dir` (snapshot.h).
[[nodiscard]] absl::StatusOr<SnapshotInfo> ExportFromDataDir(
    const std::string& data_dir, const std::string& model, uint64_t version,
    const std::string& out_dir,
    const std::function<void(uint64_t, uint64_t)>& progress);

}  // namespace strata
