// ModelRegistry: the models a server serves, each with one TierChain per
// table: host hash map (when sized) -> Redis Cluster (when configured) ->
// RocksDB, and its dense network when it has one. Opening it loads the newest
// stored version of every model in the ModelStore (a restart reopens what is on
// disk; nothing is re-imported).
//
// Ownership: the registry borrows the store, which must outlive it. Models
// are handed out as shared_ptr<const Model>: a caller may keep using one
// after the registry moves on to another version.
// Thread safety: all methods are safe for concurrent calls.
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

 private:
  ModelRegistry(ModelStore* store, const RegistryOptions& options)
      : store_(store), options_(options) {}
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Model>> Load(
      const ModelManifest& manifest, uint64_t total_bytes) const;
  [[nodiscard]] absl::StatusOr<std::unique_ptr<DenseModel>> LoadDense(
      const ModelManifest& manifest) const;

  // Constant after construction.
  ModelStore* const store_;
  const RegistryOptions options_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const Model>> serving_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strata
