// ModelStore: model versions on top of the data dir's RocksDbStore. Each
// version is one manifest (ModelManifest JSON, id "<model>@<version>") and
// one store table per embedding table ("<model>@<version>/<table>"); the
// manifest is written last, so it is what makes a version exist. Opening
// drops tables that no manifest names (an import that died half way).
//
// Ownership: owns the RocksDbStore; tiers that borrow its tables must be
// destroyed first.
// Thread safety: all methods are safe for concurrent calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/model/model_manifest.h"
#include "engine/store/rocksdb/rocksdb_store.h"

namespace strata {

using ModelStoreOptions = RocksDbStoreOptions;

class ModelStore {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ModelStore>> Open(
      const std::string& data_dir, const ModelStoreOptions& options);

  const std::string& data_dir() const { return rocksdb_->data_dir(); }
  RocksDbStore* rocksdb() const { return rocksdb_.get(); }

  // Every stored model version, sorted by name then version.
  [[nodiscard]] absl::StatusOr<std::vector<ModelManifest>> ListManifests()
      const;
  // 1 + the highest stored version of `model` (1 when there is none).
  [[nodiscard]] absl::StatusOr<uint64_t> NextVersion(
      const std::string& model) const;
  [[nodiscard]] absl::Status PutManifest(const ModelManifest& manifest);

  // "<model>@<version>": a version's manifest id and offset scope.
  static std::string VersionId(const std::string& model, uint64_t version);
  // The store table of one embedding table of a version.
  static std::string TableName(const std::string& model, uint64_t version,
                               const std::string& table);

 private:
  explicit ModelStore(std::unique_ptr<RocksDbStore> rocksdb)
      : rocksdb_(std::move(rocksdb)) {}
  [[nodiscard]] absl::Status DropOrphans();

  const std::unique_ptr<RocksDbStore> rocksdb_;
};

}  // namespace strata
