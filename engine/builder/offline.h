// Offline operations on a data dir, for the CLI: writing synthetic HugeCTR
// models (model_generator.h) and importing one as a model's next version
// (hugectr_importer.h). Import takes the data dir's lock, so it fails with
// FAILED_PRECONDITION while a server uses the dir.
//
// Thread safety: free functions; one import per data dir at a time.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "engine/model/hugectr_importer.h"
#include "engine/model/model_generator.h"

namespace strata {

// Opens `data_dir` (creating it when missing) and imports `from_dir`.
[[nodiscard]] absl::StatusOr<ModelManifest> ImportHugeCtrIntoDataDir(
    const std::string& data_dir, const std::string& model,
    const std::string& from_dir, const ImportOptions& options);

}  // namespace strata
