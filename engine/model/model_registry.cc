#include "engine/model/model_registry.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/store/hash_map/hash_map_tier.h"
#include "engine/store/redis/redis_cluster_tier.h"

namespace strata {
namespace {

uint64_t TableBytes(const TableSpec& t) {
  return t.rows * (sizeof(int64_t) + sizeof(float) * uint64_t{t.dim});
}

}  // namespace

absl::Status RegistryOptions::Validate() const {
  STRATA_RETURN_IF_ERROR(hash_map.Validate());
  if (redis != nullptr && redis_partitions == 0) {
    return absl::InvalidArgumentError("redis_partitions must be positive");
  }
  if (dense.max_batch < 1 || dense.max_batch > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_infer_batch must be 1 to 1048576, got ", dense.max_batch));
  }
  return absl::OkStatus();
}

const Model::Table* Model::FindTable(const std::string& name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::unique_ptr<ModelRegistry>> ModelRegistry::Open(
    ModelStore* store, const RegistryOptions& options) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<ModelRegistry> registry(new ModelRegistry(store, options));
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> all,
                          store->ListManifests());
  // Newest version of each model (the list is sorted by name, then version).
  std::map<std::string, ModelManifest> newest;
  for (ModelManifest& m : all) newest[m.name] = std::move(m);
  uint64_t total_bytes = 0;
  for (const auto& [name, m] : newest) {
    for (const TableSpec& t : m.tables) total_bytes += TableBytes(t);
  }
  absl::MutexLock lock(&registry->mu_);
  for (const auto& [name, m] : newest) {
    STRATA_ASSIGN_OR_RETURN(registry->serving_[name],
                            registry->Load(m, total_bytes));
  }
  return registry;
}

absl::StatusOr<std::shared_ptr<const Model>> ModelRegistry::Load(
    const ModelManifest& manifest, uint64_t total_bytes) const {
  auto model = std::make_shared<Model>(manifest);
  for (const TableSpec& spec : manifest.tables) {
    if (!store_->rocksdb()->HasTable(spec.column_family)) {
      return absl::DataLossError(absl::StrCat(
          "model ", manifest.name, "@", manifest.version, " table ", spec.name,
          ": column family ", spec.column_family, " is missing"));
    }
    std::vector<std::unique_ptr<Tier>> tiers;
    if (options_.top_tier) {
      const double share =
          total_bytes > 0 ? static_cast<double>(TableBytes(spec)) / total_bytes
                          : 1.0;
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Tier> top,
                              options_.top_tier(manifest, spec, share));
      tiers.push_back(std::move(top));
    }
    if (options_.hash_map_capacity_bytes > 0 && total_bytes > 0) {
      HashMapTierOptions hm = options_.hash_map;
      double share = static_cast<double>(TableBytes(spec)) / total_bytes;
      hm.capacity_bytes = std::max<uint64_t>(
          1, static_cast<uint64_t>(share * options_.hash_map_capacity_bytes));
      if (hm.capacity_bytes >= TableBytes(spec)) hm.capacity_bytes = 0;
      // A partition (and its lock) per ~1 M rows, 1 to 16: every partition
      // a batch touches costs a lock round trip, shared with the other
      // workers; more only help writers (updates, fills) contend less.
      hm.partitions = options_.hash_map_partitions != 0
                          ? options_.hash_map_partitions
                          : static_cast<uint32_t>(std::clamp<uint64_t>(
                                spec.rows / (1 << 20), 1, 16));
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Tier> cache,
                              NewHashMapTier(spec.dim, hm));
      tiers.push_back(std::move(cache));
    }
    if (options_.redis != nullptr) {
      RedisClusterTierOptions rc;
      rc.table_prefix = spec.column_family;  // "<model>@<version>/<table>"
      rc.partitions = options_.redis_partitions;
      double share = static_cast<double>(TableBytes(spec)) / total_bytes;
      rc.capacity_bytes = std::max<uint64_t>(
          1, static_cast<uint64_t>(share * options_.redis_capacity_bytes));
      STRATA_ASSIGN_OR_RETURN(
          std::unique_ptr<RedisClusterTier> redis,
          NewRedisClusterTier(spec.dim, options_.redis, rc));
      tiers.push_back(std::move(redis));
    }
    STRATA_ASSIGN_OR_RETURN(
        std::unique_ptr<Tier> ssd,
        store_->rocksdb()->NewTier(spec.column_family, spec.dim));
    tiers.push_back(std::move(ssd));
    model->tables_[spec.name] = Model::Table{
        spec,
        std::make_unique<TierChain>(std::move(tiers), spec.default_value)};
  }
  if (manifest.dense.has_value()) {
    STRATA_ASSIGN_OR_RETURN(model->dense_, LoadDense(manifest));
  }
  return model;
}

absl::StatusOr<std::unique_ptr<DenseModel>> ModelRegistry::LoadDense(
    const ModelManifest& manifest) const {
  const DenseSpec& spec = *manifest.dense;
  auto refuse = [&](const absl::Status& s) {
    return absl::Status(
        s.code(), absl::StrCat("model ", manifest.name, "@", manifest.version,
                               " dense graph: ", s.message()));
  };
  absl::StatusOr<std::string> graph = store_->rocksdb()->GetBlob(spec.graph_id);
  if (!graph.ok()) return refuse(graph.status());
  absl::StatusOr<std::unique_ptr<DenseNetwork>> network =
      DenseNetwork::Load(*graph, options_.dense);
  if (!network.ok()) return refuse(network.status());
  absl::StatusOr<std::unique_ptr<DenseModel>> dense = DenseModel::Make(
      *std::move(network), spec, manifest.tables, options_.dense.max_batch);
  if (!dense.ok()) return refuse(dense.status());
  return dense;
}

std::shared_ptr<const Model> ModelRegistry::Find(const std::string& name,
                                                 uint64_t version) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = serving_.find(name);
  if (it == serving_.end()) return nullptr;
  if (version != 0 && it->second->version() != version) return nullptr;
  return it->second;
}

std::vector<std::shared_ptr<const Model>> ModelRegistry::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<const Model>> out;
  for (const auto& [name, model] : serving_) out.push_back(model);
  return out;
}

}  // namespace strata
