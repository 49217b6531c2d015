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

uint64_t ModelBytes(const ModelManifest& m) {
  uint64_t bytes = 0;
  for (const TableSpec& t : m.tables) bytes += TableBytes(t);
  return bytes;
}

// Recorded in place of a version for a model that was unloaded.
constexpr char kUnloaded[] = "unloaded";

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

std::string ModelRegistry::ServingKey(const std::string& name) {
  return absl::StrCat("serving/", name);
}

absl::StatusOr<std::unique_ptr<ModelRegistry>> ModelRegistry::Open(
    ModelStore* store, const RegistryOptions& options) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<ModelRegistry> registry(new ModelRegistry(store, options));
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> all,
                          store->ListManifests());
  // What serves: the recorded choice, else the newest version (the list is
  // sorted by name, then version); an unloaded model serves nothing.
  std::map<std::string, ModelManifest> serving;
  std::map<std::string, std::string> choice;
  for (ModelManifest& m : all) {
    auto [it, first] = choice.try_emplace(m.name);
    if (first) {
      absl::StatusOr<std::string> recorded =
          store->rocksdb()->GetBlob(ServingKey(m.name));
      if (recorded.ok()) {
        it->second = *recorded;
      } else if (!absl::IsNotFound(recorded.status())) {
        return recorded.status();
      }
    }
    if (it->second == kUnloaded) continue;
    if (it->second.empty() || it->second == absl::StrCat(m.version)) {
      serving[m.name] = std::move(m);
    }
  }
  uint64_t total_bytes = 0;
  for (const auto& [name, m] : serving) {
    for (const TableSpec& t : m.tables) total_bytes += TableBytes(t);
  }
  absl::MutexLock change(&registry->change_mu_);
  absl::MutexLock lock(&registry->mu_);
  registry->total_bytes_ = total_bytes;
  for (const auto& [name, m] : serving) {
    STRATA_ASSIGN_OR_RETURN(registry->serving_[name],
                            registry->Load(m, total_bytes));
    registry->built_[ModelStore::VersionId(name, m.version)] =
        registry->serving_[name];
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
    STRATA_ASSIGN_OR_RETURN(
        DefaultRow default_row,
        DefaultRow::Parse(spec.default_row, spec.dim, spec.default_value));
    model->tables_[spec.name] = Model::Table{
        spec,
        std::make_unique<TierChain>(std::move(tiers), std::move(default_row))};
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
  if (it != serving_.end() &&
      (version == 0 || it->second->version() == version)) {
    return it->second;
  }
  if (version == 0) return nullptr;
  auto staged = staged_.find(name);
  if (staged == staged_.end()) return nullptr;
  auto v = staged->second.find(version);
  return v == staged->second.end() ? nullptr : v->second;
}

std::vector<std::shared_ptr<const Model>> ModelRegistry::List() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::shared_ptr<const Model>> out;
  for (const auto& [name, model] : serving_) out.push_back(model);
  return out;
}

std::vector<uint64_t> ModelRegistry::LoadedVersions(
    const std::string& name) const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<uint64_t> out;
  if (auto it = serving_.find(name); it != serving_.end()) {
    out.push_back(it->second->version());
  }
  if (auto it = staged_.find(name); it != staged_.end()) {
    for (const auto& [version, model] : it->second) out.push_back(version);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::Status ModelRegistry::CheckStored(const ModelManifest& manifest) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<uint64_t> stored,
                          StoredVersions(manifest.name));
  if (std::find(stored.begin(), stored.end(), manifest.version) ==
      stored.end()) {
    return absl::NotFoundError(absl::StrCat(
        "model ", manifest.name, " has no stored version ", manifest.version));
  }
  return absl::OkStatus();
}

absl::Status ModelRegistry::Serve(const ModelManifest& manifest) {
  absl::MutexLock change(&change_mu_);
  ReleaseDeletedLocked();
  STRATA_RETURN_IF_ERROR(CheckStored(manifest));
  std::shared_ptr<const Model> model = Find(manifest.name, manifest.version);
  uint64_t total_bytes = 0;
  {
    absl::ReaderMutexLock lock(&mu_);
    total_bytes = total_bytes_ + ModelBytes(manifest);
    if (auto it = serving_.find(manifest.name); it != serving_.end()) {
      total_bytes -= ModelBytes(it->second->manifest());
    }
  }
  if (model == nullptr) {
    // Built before the switch, outside mu_: lookups go on meanwhile.
    STRATA_ASSIGN_OR_RETURN(model, Load(manifest, total_bytes));
    built_[ModelStore::VersionId(manifest.name, manifest.version)] = model;
  } else if (model == Find(manifest.name)) {
    return absl::OkStatus();  // already serving
  }
  STRATA_RETURN_IF_ERROR(store_->rocksdb()->PutBlob(
      ServingKey(manifest.name), absl::StrCat(manifest.version)));
  std::shared_ptr<const Model> previous;
  {
    absl::MutexLock lock(&mu_);
    std::shared_ptr<const Model>& slot = serving_[manifest.name];
    previous = std::move(slot);
    slot = model;
    if (auto it = staged_.find(manifest.name); it != staged_.end()) {
      it->second.erase(manifest.version);
      if (it->second.empty()) staged_.erase(it);
    }
    total_bytes_ = total_bytes;
  }
  // `previous` is released here, or by the last request holding it.
  return absl::OkStatus();
}

absl::Status ModelRegistry::ServeStored(const std::string& name,
                                        uint64_t version) {
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> all,
                          store_->ListManifests());
  for (const ModelManifest& m : all) {
    if (m.name == name && m.version == version) return Serve(m);
  }
  return absl::NotFoundError(
      absl::StrCat("model ", name, " has no stored version ", version));
}

absl::StatusOr<std::vector<uint64_t>> ModelRegistry::StoredVersions(
    const std::string& name) const {
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> all,
                          store_->ListManifests());
  std::vector<uint64_t> out;
  for (const ModelManifest& m : all) {
    if (m.name == name) out.push_back(m.version);
  }
  return out;  // ListManifests sorts by name, then version
}

absl::Status ModelRegistry::Stage(const ModelManifest& manifest) {
  absl::MutexLock change(&change_mu_);
  ReleaseDeletedLocked();
  STRATA_RETURN_IF_ERROR(CheckStored(manifest));
  if (Find(manifest.name, manifest.version) != nullptr) {
    return absl::OkStatus();
  }
  uint64_t total_bytes = 0;
  {
    absl::ReaderMutexLock lock(&mu_);
    total_bytes = total_bytes_ + ModelBytes(manifest);
  }
  STRATA_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                          Load(manifest, total_bytes));
  built_[ModelStore::VersionId(manifest.name, manifest.version)] = model;
  absl::MutexLock lock(&mu_);
  staged_[manifest.name][manifest.version] = std::move(model);
  return absl::OkStatus();
}

absl::Status ModelRegistry::Unload(const std::string& name) {
  absl::MutexLock change(&change_mu_);
  ReleaseDeletedLocked();
  if (LoadedVersions(name).empty()) {
    return absl::NotFoundError(absl::StrCat("model ", name, " is not loaded"));
  }
  STRATA_RETURN_IF_ERROR(
      store_->rocksdb()->PutBlob(ServingKey(name), kUnloaded));
  absl::MutexLock lock(&mu_);
  if (auto it = serving_.find(name); it != serving_.end()) {
    total_bytes_ -= ModelBytes(it->second->manifest());
    serving_.erase(it);
  }
  staged_.erase(name);
  return absl::OkStatus();
}

absl::Status ModelRegistry::DeleteVersion(const std::string& name,
                                          uint64_t version) {
  absl::MutexLock change(&change_mu_);
  ReleaseDeletedLocked();
  std::shared_ptr<const Model> serving = Find(name);
  if (serving != nullptr && serving->version() == version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model ", name, " version ", version,
        " is serving; serve another version or unload the model first"));
  }
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> all,
                          store_->ListManifests());
  const ModelManifest* stored = nullptr;
  for (const ModelManifest& m : all) {
    if (m.name == name && m.version == version) stored = &m;
  }
  if (stored == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("model ", name, " has no stored version ", version));
  }
  // The manifest goes first: from here a restart no longer sees the version
  // (and drops its tables as orphans if this process dies before it does).
  STRATA_RETURN_IF_ERROR(
      store_->rocksdb()->DeleteManifest(ModelStore::VersionId(name, version)));
  if (auto serving_key = store_->rocksdb()->GetBlob(ServingKey(name));
      serving_key.ok() && *serving_key == absl::StrCat(version)) {
    // The recorded choice of an unloaded-then-deleted version is void.
    store_->rocksdb()->DeleteBlob(ServingKey(name)).IgnoreError();
  }
  Deleted deleted;
  for (const TableSpec& t : stored->tables) {
    deleted.tables.push_back(t.column_family);
  }
  if (stored->dense.has_value()) deleted.blob = stored->dense->graph_id;
  const std::string id = ModelStore::VersionId(name, version);
  if (auto built = built_.find(id); built != built_.end()) {
    deleted.holder = built->second;
    built_.erase(built);
  }
  {
    absl::MutexLock lock(&mu_);
    if (auto it = staged_.find(name); it != staged_.end()) {
      it->second.erase(version);
      if (it->second.empty()) staged_.erase(it);
    }
  }
  deleted_.push_back(std::move(deleted));
  ReleaseDeletedLocked();
  return absl::OkStatus();
}

void ModelRegistry::ReleaseDeleted() {
  absl::MutexLock change(&change_mu_);
  ReleaseDeletedLocked();
}

void ModelRegistry::ReleaseDeletedLocked() {
  std::erase_if(built_, [](const auto& b) { return b.second.expired(); });
  for (auto it = deleted_.begin(); it != deleted_.end();) {
    if (!it->holder.expired()) {
      ++it;
      continue;
    }
    // Best effort: a table that cannot be dropped now is an orphan that the
    // next open drops.
    store_->rocksdb()->DropTables(it->tables).IgnoreError();
    if (!it->blob.empty()) {
      store_->rocksdb()->DeleteBlob(it->blob).IgnoreError();
    }
    it = deleted_.erase(it);
  }
}

}  // namespace strata
