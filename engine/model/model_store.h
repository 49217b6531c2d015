// ModelStore: the data dir on local SSD. One RocksDB database under
// `<data_dir>/db` holds every model version: one column family per table
// (named "<model>@<version>/<table>") and, in the default column family, one
// manifest per model version under "manifest/<model>@<version>".
//
// Opening takes RocksDB's lock on the directory, so a second process (a
// server or an offline import) sharing the dir fails at once with
// FAILED_PRECONDITION.
//
// Ownership: owns the DB and every column family handle; tiers that borrow
// them must be destroyed first.
// Thread safety: all methods are safe for concurrent calls.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/model/model_manifest.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
struct Options;
}  // namespace rocksdb

namespace strata {

struct ModelStoreOptions {
  // RocksDB block cache shared by all tables.
  uint64_t block_cache_bytes = 256ull << 20;
  // Create the data dir when it does not exist.
  bool create_if_missing = true;

  [[nodiscard]] absl::Status Validate() const;
};

class ModelStore {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ModelStore>> Open(
      const std::string& data_dir, const ModelStoreOptions& options);
  ~ModelStore();

  ModelStore(const ModelStore&) = delete;
  ModelStore& operator=(const ModelStore&) = delete;

  const std::string& data_dir() const { return data_dir_; }
  rocksdb::DB* db() const { return db_.get(); }
  // Options that SST files ingested into a table column family must match.
  const rocksdb::Options& table_options() const { return *table_options_; }

  // Every stored model version, sorted by name then version.
  [[nodiscard]] absl::StatusOr<std::vector<ModelManifest>> ListManifests()
      const;
  // 1 + the highest stored version of `model` (1 when there is none).
  [[nodiscard]] absl::StatusOr<uint64_t> NextVersion(
      const std::string& model) const;
  [[nodiscard]] absl::Status PutManifest(const ModelManifest& manifest);

  // The handle of an existing column family, or nullptr.
  rocksdb::ColumnFamilyHandle* FindColumnFamily(const std::string& name) const;
  [[nodiscard]] absl::StatusOr<rocksdb::ColumnFamilyHandle*> CreateColumnFamily(
      const std::string& name);
  // Drops and forgets column families (missing names are ignored).
  [[nodiscard]] absl::Status DropColumnFamilies(
      const std::vector<std::string>& names);

  static std::string ColumnFamilyName(const std::string& model,
                                      uint64_t version,
                                      const std::string& table);

 private:
  ModelStore() = default;
  [[nodiscard]] absl::Status DropOrphans();

  // Constant after Open.
  std::string data_dir_;
  std::unique_ptr<rocksdb::Options> table_options_;
  std::unique_ptr<rocksdb::DB> db_;

  mutable absl::Mutex mu_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> column_families_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strata
