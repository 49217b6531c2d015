#include "engine/builder/offline.h"

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

}  // namespace strata
