#include "engine/model/model_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace strata {

std::string ModelStore::VersionId(const std::string& model, uint64_t version) {
  return absl::StrCat(model, "@", version);
}

std::string ModelStore::TableName(const std::string& model, uint64_t version,
                                  const std::string& table) {
  return absl::StrCat(VersionId(model, version), "/", table);
}

absl::StatusOr<std::unique_ptr<ModelStore>> ModelStore::Open(
    const std::string& data_dir, const ModelStoreOptions& options) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<RocksDbStore> rocksdb,
                          RocksDbStore::Open(data_dir, options));
  std::unique_ptr<ModelStore> store(new ModelStore(std::move(rocksdb)));
  STRATA_RETURN_IF_ERROR(store->DropOrphans());
  return store;
}

absl::Status ModelStore::DropOrphans() {
  // An import that died before writing its manifest leaves tables that no
  // manifest names; nothing can read them, so reclaim the space.
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> manifests,
                          ListManifests());
  std::set<std::string> referenced;
  for (const ModelManifest& m : manifests) {
    for (const TableSpec& t : m.tables) referenced.insert(t.column_family);
  }
  std::vector<std::string> orphans;
  for (const std::string& name : rocksdb_->ListTables()) {
    if (referenced.count(name) == 0) orphans.push_back(name);
  }
  return rocksdb_->DropTables(orphans);
}

absl::StatusOr<std::vector<ModelManifest>> ModelStore::ListManifests() const {
  STRATA_ASSIGN_OR_RETURN(std::vector<std::string> documents,
                          rocksdb_->ListManifests());
  std::vector<ModelManifest> out;
  for (const std::string& document : documents) {
    STRATA_ASSIGN_OR_RETURN(ModelManifest m, ModelManifest::FromJson(document));
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.version < b.version;
  });
  return out;
}

absl::StatusOr<uint64_t> ModelStore::NextVersion(
    const std::string& model) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> all, ListManifests());
  uint64_t next = 1;
  for (const ModelManifest& m : all) {
    if (m.name == model) next = std::max(next, m.version + 1);
  }
  return next;
}

absl::Status ModelStore::PutManifest(const ModelManifest& manifest) {
  return rocksdb_->PutManifest(VersionId(manifest.name, manifest.version),
                               manifest.ToJson());
}

}  // namespace strata
