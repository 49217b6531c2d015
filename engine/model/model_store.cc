#include "engine/model/model_store.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/store/rocksdb_status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"

namespace strata {
namespace {

constexpr char kManifestPrefix[] = "manifest/";

std::unique_ptr<rocksdb::Options> MakeOptions(const ModelStoreOptions& o) {
  auto options = std::make_unique<rocksdb::Options>();
  options->create_if_missing = o.create_if_missing;
  options->create_missing_column_families = true;
  options->IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  table.filter_policy.reset();  // point lookups go through the index
  table.whole_key_filtering = true;
  options->table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace

absl::Status ModelStoreOptions::Validate() const {
  if (block_cache_bytes < (1u << 20)) {
    return absl::InvalidArgumentError(
        "block_cache_bytes must be at least 1 MiB");
  }
  return absl::OkStatus();
}

std::string ModelStore::ColumnFamilyName(const std::string& model,
                                         uint64_t version,
                                         const std::string& table) {
  return absl::StrCat(model, "@", version, "/", table);
}

absl::StatusOr<std::unique_ptr<ModelStore>> ModelStore::Open(
    const std::string& data_dir, const ModelStoreOptions& options) {
  STRATA_RETURN_IF_ERROR(options.Validate());
  std::error_code ec;
  const std::string db_path = data_dir + "/db";
  if (options.create_if_missing) {
    std::filesystem::create_directories(db_path, ec);
    if (ec) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot create data dir ", data_dir, ": ", ec.message()));
    }
  } else if (!std::filesystem::exists(db_path, ec)) {
    return absl::NotFoundError(absl::StrCat("no data dir at ", data_dir));
  }

  std::unique_ptr<ModelStore> store(new ModelStore());
  store->data_dir_ = data_dir;
  store->table_options_ = MakeOptions(options);

  std::vector<std::string> names;
  rocksdb::Status s =
      rocksdb::DB::ListColumnFamilies(*store->table_options_, db_path, &names);
  if (!s.ok()) names = {rocksdb::kDefaultColumnFamilyName};  // a new DB
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) {
    descriptors.emplace_back(name, *store->table_options_);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::Open(*store->table_options_, db_path, descriptors, &handles,
                        &raw);
  if (!s.ok()) {
    if (s.IsIOError() && (absl::StrContains(s.ToString(), "lock") ||
                          absl::StrContains(s.ToString(), "LOCK"))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", data_dir,
          " is locked by another process (a running strata-server or "
          "import?): ",
          s.ToString()));
    }
    return FromRocksDb(s, absl::StrCat("opening data dir ", data_dir));
  }
  store->db_.reset(raw);
  {
    absl::MutexLock lock(&store->mu_);
    for (rocksdb::ColumnFamilyHandle* h : handles) {
      if (h->GetName() == rocksdb::kDefaultColumnFamilyName) {
        store->db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
        continue;
      }
      store->column_families_[h->GetName()] = h;
    }
  }
  STRATA_RETURN_IF_ERROR(store->DropOrphans());
  return store;
}

absl::Status ModelStore::DropOrphans() {
  // An import that died before writing its manifest leaves column families
  // that no manifest names; nothing can read them, so reclaim the space.
  STRATA_ASSIGN_OR_RETURN(std::vector<ModelManifest> manifests,
                          ListManifests());
  std::set<std::string> referenced;
  for (const ModelManifest& m : manifests) {
    for (const TableSpec& t : m.tables) referenced.insert(t.column_family);
  }
  std::vector<std::string> orphans;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, handle] : column_families_) {
      if (referenced.count(name) == 0) orphans.push_back(name);
    }
  }
  return DropColumnFamilies(orphans);
}

ModelStore::~ModelStore() {
  if (!db_) return;
  absl::MutexLock lock(&mu_);
  for (auto& [name, handle] : column_families_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  column_families_.clear();
  db_->Close().PermitUncheckedError();
}

absl::StatusOr<std::vector<ModelManifest>> ModelStore::ListManifests() const {
  std::vector<ModelManifest> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kManifestPrefix);
       it->Valid() && it->key().starts_with(kManifestPrefix); it->Next()) {
    STRATA_ASSIGN_OR_RETURN(ModelManifest m,
                            ModelManifest::FromJson(it->value().ToString()));
    out.push_back(std::move(m));
  }
  STRATA_RETURN_IF_ERROR(FromRocksDb(it->status(), "listing manifests"));
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
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocksDb(db_->Put(wo,
                              absl::StrCat(kManifestPrefix, manifest.name, "@",
                                           manifest.version),
                              manifest.ToJson()),
                     "writing model manifest");
}

rocksdb::ColumnFamilyHandle* ModelStore::FindColumnFamily(
    const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = column_families_.find(name);
  return it == column_families_.end() ? nullptr : it->second;
}

absl::StatusOr<rocksdb::ColumnFamilyHandle*> ModelStore::CreateColumnFamily(
    const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (column_families_.count(name) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("column family ", name, " already exists"));
  }
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  STRATA_RETURN_IF_ERROR(
      FromRocksDb(db_->CreateColumnFamily(*table_options_, name, &handle),
                  absl::StrCat("creating column family ", name)));
  column_families_[name] = handle;
  return handle;
}

absl::Status ModelStore::DropColumnFamilies(
    const std::vector<std::string>& names) {
  absl::MutexLock lock(&mu_);
  for (const std::string& name : names) {
    auto it = column_families_.find(name);
    if (it == column_families_.end()) continue;
    STRATA_RETURN_IF_ERROR(FromRocksDb(db_->DropColumnFamily(it->second),
                                       absl::StrCat("dropping ", name)));
    db_->DestroyColumnFamilyHandle(it->second).PermitUncheckedError();
    column_families_.erase(it);
  }
  return absl::OkStatus();
}

}  // namespace strata
