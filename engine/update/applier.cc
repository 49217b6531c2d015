#include "engine/update/applier.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"

namespace strata {
Applier::Applier(ModelStore* store, const ModelRegistry* registry,
                 const ApplierOptions& options)
    : store_(store), registry_(registry), options_(options) {}

Applier::~Applier() = default;

void Applier::AddHook(Hook hook) { hooks_.push_back(std::move(hook)); }

std::string Applier::PartitionKey(const std::string& topic, int32_t partition) {
  return absl::StrCat(topic, "/", partition);
}

absl::StatusOr<uint64_t> Applier::Apply(absl::Span<const DecodedUpdate> updates,
                                        const UpdatePosition* position) {
  std::vector<UpdatePosition> positions;
  if (position != nullptr) positions.assign(updates.size(), *position);
  absl::StatusOr<ApplyCounts> counts = Write(updates, positions);
  if (!counts.ok()) return counts.status();
  return counts->rows;
}

absl::StatusOr<ApplyCounts> Applier::ApplyLogged(
    absl::Span<const DecodedUpdate> updates,
    absl::Span<const UpdatePosition> positions) {
  if (positions.size() != updates.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        updates.size(), " updates with ", positions.size(), " positions"));
  }
  return Write(updates, positions);
}

absl::StatusOr<ApplyCounts> Applier::Write(
    absl::Span<const DecodedUpdate> updates,
    absl::Span<const UpdatePosition> positions) {
  Tick();
  const bool logged = !positions.empty();
  // Validate everything before writing anything.
  struct Target {
    std::shared_ptr<const Model> model;
    const Model::Table* table = nullptr;  // nullptr: stale, left out
  };
  std::vector<Target> targets(updates.size());
  ApplyCounts counts;
  for (size_t i = 0; i < updates.size(); ++i) {
    const DecodedUpdate& u = updates[i];
    const UpdatePosition* position = logged ? &positions[i] : nullptr;
    Target& target = targets[i];
    // Consecutive updates mostly share a model: look it up once.
    const std::string& name = logged ? position->model : u.model;
    if (i > 0 && targets[i - 1].model->name() == name) {
      target.model = targets[i - 1].model;
    } else {
      target.model = registry_->Find(name);
    }
    if (target.model == nullptr) {
      return absl::NotFoundError(absl::StrCat("no serving model ", name));
    }
    if (logged && position->version != 0 &&
        position->version != target.model->version()) {
      ++counts.stale_messages;  // read for a version swapped out since
      continue;
    }
    if (logged) {
      auto it = target.model->manifest().update_offsets.find(
          PartitionKey(position->topic, position->partition));
      if (it != target.model->manifest().update_offsets.end() &&
          position->offset < it->second) {
        ++counts.stale_messages;
        continue;
      }
    }
    if (u.model != name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "update for model ", u.model, " on a topic of model ", name));
    }
    const Model::Table* table = target.model->FindTable(u.table);
    if (table == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("model ", u.model, " has no table ", u.table));
    }
    if (u.dim != table->spec.dim ||
        u.values.size() != u.keys.size() * size_t{u.dim}) {
      return absl::InvalidArgumentError(
          absl::StrCat("update for ", u.model, "/", u.table, " has dim ", u.dim,
                       " and ", u.values.size(), " floats for ", u.keys.size(),
                       " keys; the table ", "has dim ", table->spec.dim));
    }
    target.table = table;
  }
  stale_messages_.fetch_add(counts.stale_messages, std::memory_order_relaxed);

  std::vector<RowBlock> rows;
  std::vector<std::string> scopes;  // backs the offsets' scopes
  scopes.reserve(updates.size());   // (so no view into it moves)
  std::vector<StoredOffset> offsets;
  for (size_t i = 0; i < updates.size(); ++i) {
    if (targets[i].table == nullptr) continue;
    const DecodedUpdate& u = updates[i];
    rows.push_back(RowBlock{targets[i].table->spec.column_family, u.dim, u.keys,
                            u.values, u.delete_keys});
    counts.rows += u.keys.size() + u.delete_keys.size();
    ++counts.applied_messages;
    if (logged) {
      scopes.push_back(ModelStore::VersionId(targets[i].model->name(),
                                             targets[i].model->version()));
      offsets.push_back(StoredOffset{scopes.back(), positions[i].topic,
                                     positions[i].partition,
                                     positions[i].offset + 1});
    }
  }
  if (counts.applied_messages == 0) return counts;
  STRATA_RETURN_IF_ERROR(
      store_->rocksdb()->WriteRows(rows, offsets, options_.sync));

  for (size_t i = 0; i < updates.size(); ++i) {
    if (targets[i].table == nullptr) continue;
    const DecodedUpdate& u = updates[i];
    Invalidate(*targets[i].model, u.table, u.keys);
    for (const Hook& hook : hooks_) {
      hook(*targets[i].model, u.table, u.keys, u.values);
    }
    // After the hooks, so a row both written and deleted ends deleted.
    Invalidate(*targets[i].model, u.table, u.delete_keys);
    if (options_.reinvalidate_delay_ms > 0 &&
        targets[i].table->chain->tiers().size() > 1) {
      std::vector<int64_t> keys = u.keys;
      keys.insert(keys.end(), u.delete_keys.begin(), u.delete_keys.end());
      absl::MutexLock lock(&mu_);
      pending_.push_back(
          Pending{std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(options_.reinvalidate_delay_ms),
                  targets[i].model, u.table, std::move(keys)});
    }
  }
  applied_messages_.fetch_add(logged ? counts.applied_messages : 1,
                              std::memory_order_relaxed);
  applied_rows_.fetch_add(counts.rows, std::memory_order_relaxed);
  return counts;
}

absl::Status Applier::Skip(const UpdatePosition& position) {
  skipped_messages_.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<const Model> model = registry_->Find(position.model);
  if (model == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no serving model ", position.model));
  }
  if (position.version != 0 && position.version != model->version()) {
    return absl::OkStatus();  // read for a version swapped out since
  }
  const std::string scope =
      ModelStore::VersionId(model->name(), model->version());
  const StoredOffset offset{scope, position.topic, position.partition,
                            position.offset + 1};
  return store_->rocksdb()->WriteRows({}, {&offset, 1}, options_.sync);
}

absl::StatusOr<std::optional<int64_t>> Applier::NextOffset(
    const std::string& model_name, const std::string& topic,
    int32_t partition) const {
  std::shared_ptr<const Model> model = registry_->Find(model_name);
  if (model == nullptr) {
    return absl::NotFoundError(absl::StrCat("no serving model ", model_name));
  }
  STRATA_ASSIGN_OR_RETURN(
      std::optional<int64_t> stored,
      store_->rocksdb()->ReadOffset(
          ModelStore::VersionId(model->name(), model->version()), topic,
          partition));
  if (stored.has_value()) return stored;
  auto it =
      model->manifest().update_offsets.find(PartitionKey(topic, partition));
  if (it != model->manifest().update_offsets.end()) return it->second;
  return std::optional<int64_t>();
}

void Applier::Invalidate(const Model& model, const std::string& table,
                         absl::Span<const int64_t> keys) {
  const Model::Table* t = model.FindTable(table);
  if (t == nullptr || keys.empty()) return;
  const auto& tiers = t->chain->tiers();
  for (size_t i = 0; i + 1 < tiers.size(); ++i) {
    absl::Status s = tiers[i]->Erase(keys);
    if (!s.ok()) {
      // The authoritative write is done; a cache that cannot erase would
      // serve an old row, so say so loudly.
      spdlog::error("invalidating {} keys of {}/{} in tier {}: {}", keys.size(),
                    model.name(), table, tiers[i]->name(),
                    std::string(s.message()));
    }
  }
}

void Applier::Tick() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Pending> due;
  {
    absl::MutexLock lock(&mu_);
    while (!pending_.empty() && pending_.front().due <= now) {
      due.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
  }
  for (const Pending& p : due) Invalidate(*p.model, p.table, p.keys);
}

ApplierStats Applier::stats() const {
  ApplierStats s;
  s.applied_messages = applied_messages_.load(std::memory_order_relaxed);
  s.applied_rows = applied_rows_.load(std::memory_order_relaxed);
  s.stale_messages = stale_messages_.load(std::memory_order_relaxed);
  s.skipped_messages = skipped_messages_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace strata
