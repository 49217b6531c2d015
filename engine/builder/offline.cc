#include "engine/builder/offline.h"

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/model/model_store.h"

namespace strata {

absl::StatusOr<ModelManifest> ImportHugeCtrIntoDataDir(
    const std::string& data_dir, const std::string& model,
    const std::string& from_dir, const ImportOptions& options) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ModelStore> store,
                          ModelStore::Open(data_dir, ModelStoreOptions()));
  return ImportHugeCtrModel(store.get(), model, from_dir, options);
}

absl::StatusOr<SnapshotInfo> ExportFromDataDir(
    const std::string& data_dir, const std::string& model, uint64_t version,
    const std::string& out_dir,
    const std::function<void(uint64_t, uint64_t)>& progress) {
  ModelStoreOptions options;
  options.create_if_missing = false;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ModelStore> store,
                          ModelStore::Open(data_dir, options));
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> all,
                          store->ListManifests());
  const ModelManifest* chosen = nullptr;
  for (const ModelManifest& m : all) {  // sorted: the newest comes last
    if (m.name == model && (version == 0 || m.version == version)) chosen = &m;
  }
  if (chosen == nullptr) {
    return absl::NotFoundError(
        version == 0 ? absl::StrCat("no model ", model, " in ", data_dir)
                     : absl::StrCat("no version ", version, " of ", model,
                                    " in ", data_dir));
  }
  return ExportSnapshot(*store, *chosen, out_dir, progress);
}

}  // namespace strata
