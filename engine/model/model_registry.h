// ModelRegistry: the models a server serves, each with one TierChain per
// table: host hash map (when sized) -> Redis Cluster (when configured) ->
// RocksDB, and its dense network when it has one.
//
// Each model has at most one serving version (what a request without a
// version gets) and any number of staged ones (loaded, reachable only by a
// request that pins their version). Serve() switches the serving pointer
// atomically: a request that already holds the old version finishes on it,
// and the old version's tiers go when its last holder lets go. Which version
// serves, and which models are unloaded, is stored in the data dir, so
// Open() reopens exactly that (a model never chosen serves its newest stored
// version); nothing is re-imported.
//
// Ownership: the registry borrows the store, which must outlive it. Models
// are handed out as shared_ptr<const Model>: a caller may keep using one
// after the registry moves on to another version.
// Thread safety: all methods are safe for concurrent calls; the changing
// ones (Serve, Stage, Unload, DeleteVersion) run one at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/model/dense_model.h"
#include "engine/model/model_manifest.h"
#include "engine/model/model_store.h"
#include "engine/store/hash_map/hash_map_tier.h"
#include "engine/store/redis/redis_cluster_client.h"
#include "engine/store/tier_chain.h"

namespace strata {

// Makes the tier that goes in front of every other tier of a table (the GPU
// cache); `share` is the table's fraction of all served tables' bytes.
using TopTierFactory = std::function<absl::StatusOr<std::unique_ptr<Tier>>(
    const ModelManifest& model, const TableSpec& table, double share)>;

struct RegistryOptions {
  // Bytes of host hash-map cache in front of RocksDB, shared by all tables of
  // all models in proportion to their size; 0 reads RocksDB directly.
  uint64_t hash_map_capacity_bytes = 1ull << 30;
  // How each table's hash map stores and replaces rows (policy, value_dtype,
  // eviction and slab settings; capacity_bytes is the table's share above).
  HashMapTierOptions hash_map;
  // Partitions of each table's hash map; 0 = one per ~1 M rows, 1 to 16.
  uint32_t hash_map_partitions = 0;
  // When set, a Redis Cluster tier sits between the hash map and RocksDB,
  // holding up to `redis_capacity_bytes` of rows shared by all tables.
  std::shared_ptr<RedisClusterClient> redis;
  // When set, each table's chain starts with the tier it makes.
  TopTierFactory top_tier;
  uint64_t redis_capacity_bytes = 4ull << 30;
  // Redis hashes each table is spread over.
  uint32_t redis_partitions = 8;
  // How models' dense networks run: backend, and the most samples one run
  // takes (Infer coalesces requests up to it; a larger request is refused).
  DenseNetworkOptions dense;

  [[nodiscard]] absl::Status Validate() const;
};

// One loaded model version. Immutable after construction.
class Model {
 public:
  struct Table {
    TableSpec spec;
    std::unique_ptr<TierChain> chain;
  };

  explicit Model(ModelManifest manifest) : manifest_(std::move(manifest)) {}

  const ModelManifest& manifest() const { return manifest_; }
  const std::string& name() const { return manifest_.name; }
  uint64_t version() const { return manifest_.version; }
  // nullptr when the model has no such table.
  const Table* FindTable(const std::string& name) const;
  const std::map<std::string, Table>& tables() const { return tables_; }
  // The dense network Infer runs; nullptr for a lookup-only model.
  const DenseModel* dense() const { return dense_.get(); }

 private:
  friend class ModelRegistry;
  ModelManifest manifest_;
  std::map<std::string, Table> tables_;
  std::unique_ptr<DenseModel> dense_;
};

class ModelRegistry {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ModelRegistry>> Open(
      ModelStore* store, const RegistryOptions& options);

  // The model at `version`, or its serving version when `version` is 0;
  // nullptr when not loaded.
  std::shared_ptr<const Model> Find(const std::string& name,
                                    uint64_t version = 0) const;
  // Every serving model, sorted by name.
  std::vector<std::shared_ptr<const Model>> List() const;
  // The store the models are read from.
  const ModelStore& store() const { return *store_; }
  // The versions of `name` loaded in memory (serving and staged), ascending.
  std::vector<uint64_t> LoadedVersions(const std::string& name) const;

  // Makes stored version `manifest` the serving version of its model (loading
  // its tiers unless it is staged), and records the choice in the data dir.
  [[nodiscard]] absl::Status Serve(const ModelManifest& manifest);
  // Serve() for version `version` of `name` as stored in the data dir.
  [[nodiscard]] absl::Status ServeStored(const std::string& name,
                                         uint64_t version);
  // The versions of `name` stored in the data dir, ascending.
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> StoredVersions(
      const std::string& name) const;
  // Loads stored version `manifest` without serving it (pinned requests only).
  [[nodiscard]] absl::Status Stage(const ModelManifest& manifest);
  // Stops serving `name` (every loaded version), and records it: a restart
  // leaves it unloaded. NOT_FOUND when nothing of it is loaded.
  [[nodiscard]] absl::Status Unload(const std::string& name);
  // Deletes a stored version that does not serve: its manifest at once (it
  // is gone for a restart), its rows once the last request holding it ends.
  // FAILED_PRECONDITION for the serving version; NOT_FOUND when not stored.
  [[nodiscard]] absl::Status DeleteVersion(const std::string& name,
                                           uint64_t version);
  // Drops the rows of deleted versions no request holds any more; cheap when
  // there are none. The changing methods call it too.
  void ReleaseDeleted();

 private:
  // A deleted version whose rows wait for the last holder of its Model.
  struct Deleted {
    std::weak_ptr<const Model> holder;  // expired: nobody reads it
    std::vector<std::string> tables;
    std::string blob;  // the dense graph's blob id, or empty
  };

  ModelRegistry(ModelStore* store, const RegistryOptions& options)
      : store_(store), options_(options) {}
  // The data-dir key recording what serves for `name`.
  static std::string ServingKey(const std::string& name);
  void ReleaseDeletedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  // NOT_FOUND unless `manifest`'s version is stored (not deleted).
  [[nodiscard]] absl::Status CheckStored(const ModelManifest& manifest) const;
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Model>> Load(
      const ModelManifest& manifest, uint64_t total_bytes) const;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<DenseModel>> LoadDense(
      const ModelManifest& manifest) const;

  // Constant after construction.
  ModelStore* const store_;
  const RegistryOptions options_;

  // Serializes the changing methods (held while tiers load, never by Find).
  absl::Mutex change_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<Deleted> deleted_ ABSL_GUARDED_BY(change_mu_);
  // Every Model built since Open, by "<model>@<version>", so that a deleted
  // version's rows outlive a request still holding a replaced copy.
  std::map<std::string, std::weak_ptr<const Model>> built_
      ABSL_GUARDED_BY(change_mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const Model>> serving_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<uint64_t, std::shared_ptr<const Model>>>
      staged_ ABSL_GUARDED_BY(mu_);
  // Bytes of every serving model's tables: cache tiers are sized by their
  // table's share of it.
  uint64_t total_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace strata
