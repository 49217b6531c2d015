#include "engine/store/rocksdb/rocksdb_store.h"

#include <filesystem>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/common/status_macros.h"
#include "engine/store/key_codec.h"
#include "engine/store/rocksdb/rocksdb_status.h"
#include "engine/store/rocksdb/rocksdb_tier.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace strata {
namespace {

constexpr char kManifestPrefix[] = "manifest/";
constexpr char kBlobPrefix[] = "blob/";
constexpr char kFormatKey[] = "strata/format_version";

std::unique_ptr<rocksdb::Options> MakeOptions(const RocksDbStoreOptions& o) {
  auto options = std::make_unique<rocksdb::Options>();
  options->create_if_missing = o.create_if_missing;
  options->create_missing_column_families = true;
  options->IncreaseParallelism(2);
  // A restart after a crash replays the WAL into memtables instead of
  // flushing it to new SST files at open: reopening does no write work.
  options->avoid_flush_during_recovery = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(o.block_cache_bytes);
  table.filter_policy.reset();  // point lookups go through the index
  table.whole_key_filtering = true;
  options->table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

std::string OffsetKey(absl::string_view scope, absl::string_view topic,
                      int32_t partition) {
  return absl::StrCat("offset/", scope, "/", topic, "/", partition);
}

rocksdb::Slice RowSlice(const float* row, uint32_t dim) {
  return rocksdb::Slice(reinterpret_cast<const char*>(row),
                        size_t{dim} * sizeof(float));
}

}  // namespace

absl::Status RocksDbStoreOptions::Validate() const {
  if (block_cache_bytes < (1u << 20)) {
    return absl::InvalidArgumentError(
        "block_cache_bytes must be at least 1 MiB");
  }
  return absl::OkStatus();
}

TableFile::TableFile(std::string path, size_t row_bytes,
                     std::unique_ptr<rocksdb::SstFileWriter> writer)
    : path_(std::move(path)),
      row_bytes_(row_bytes),
      writer_(std::move(writer)) {}

TableFile::~TableFile() = default;

absl::Status TableFile::Add(int64_t key, absl::Span<const char> row) {
  if (row.size() != row_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat("row of key ", key, " has ", row.size(),
                     " bytes, expected ", row_bytes_));
  }
  if (any_ && key <= last_) {
    return absl::InvalidArgumentError(
        absl::StrCat("table file keys must ascend: ", key, " after ", last_));
  }
  any_ = true;
  last_ = key;
  char k[kEncodedKeySize];
  EncodeKey(key, k);
  return FromRocksDb(writer_->Put(rocksdb::Slice(k, kEncodedKeySize),
                                  rocksdb::Slice(row.data(), row.size())),
                     "writing " + path_);
}

absl::Status TableFile::Finish() {
  return FromRocksDb(writer_->Finish(), "finishing " + path_);
}

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(
    const std::string& data_dir, const RocksDbStoreOptions& options) {
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

  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
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
  STRATA_RETURN_IF_ERROR(store->CheckFormat());
  return store;
}

absl::Status RocksDbStore::CheckFormat() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), kFormatKey, &value);
  if (s.ok()) {
    int version = 0;
    if (!absl::SimpleAtoi(value, &version) || version < 1) {
      return absl::DataLossError(
          absl::StrCat("data dir ", data_dir_,
                       " has an unreadable format marker \"", value, "\""));
    }
    if (version > kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", data_dir_, " has on-disk format ", version,
          ", written by a newer Strata; this build reads format ",
          kFormatVersion, " and older. Run a Strata release that reads format ",
          version, ", or import the model into a new data dir."));
    }
    return absl::OkStatus();  // format 1 is the only one so far
  }
  if (!s.IsNotFound()) return FromRocksDb(s, "reading the format marker");
  // No marker: a new dir, or one written before markers, whose layout is
  // format 1. Either way it is format 1 from now on.
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  {
    absl::MutexLock lock(&mu_);
    upgraded_ = it->Valid() || !column_families_.empty();
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocksDb(db_->Put(wo, kFormatKey, absl::StrCat(kFormatVersion)),
                     "writing the format marker");
}

RocksDbStore::~RocksDbStore() {
  if (!db_) return;
  absl::MutexLock lock(&mu_);
  for (auto& [name, handle] : column_families_) {
    db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  }
  column_families_.clear();
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* RocksDbStore::FindColumnFamily(
    const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = column_families_.find(name);
  return it == column_families_.end() ? nullptr : it->second;
}

bool RocksDbStore::HasTable(const std::string& name) const {
  return FindColumnFamily(name) != nullptr;
}

std::vector<std::string> RocksDbStore::ListTables() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, handle] : column_families_) names.push_back(name);
  return names;
}

absl::Status RocksDbStore::CreateTable(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (column_families_.count(name) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("table ", name, " exists"));
  }
  rocksdb::ColumnFamilyHandle* handle = nullptr;
  STRATA_RETURN_IF_ERROR(
      FromRocksDb(db_->CreateColumnFamily(*table_options_, name, &handle),
                  absl::StrCat("creating table ", name)));
  column_families_[name] = handle;
  return absl::OkStatus();
}

absl::Status RocksDbStore::DropTables(const std::vector<std::string>& names) {
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

absl::StatusOr<std::unique_ptr<Tier>> RocksDbStore::NewTier(
    const std::string& name, uint32_t dim) const {
  rocksdb::ColumnFamilyHandle* cf = FindColumnFamily(name);
  if (cf == nullptr) {
    return absl::DataLossError(absl::StrCat("table ", name, " is missing"));
  }
  return NewRocksDbTier(db_.get(), cf, dim);
}

absl::Status RocksDbStore::WriteRows(absl::Span<const RowBlock> rows,
                                     absl::Span<const StoredOffset> offsets,
                                     bool sync) {
  rocksdb::WriteBatch batch;
  char k[kEncodedKeySize];
  for (const RowBlock& block : rows) {
    if (block.values.size() != block.keys.size() * size_t{block.dim}) {
      return absl::InvalidArgumentError(
          absl::StrCat(block.keys.size(), " keys with ", block.values.size(),
                       " floats at dim ", block.dim));
    }
    rocksdb::ColumnFamilyHandle* cf =
        FindColumnFamily(std::string(block.table));
    if (cf == nullptr) {
      return absl::DataLossError(
          absl::StrCat("table ", block.table, " is missing"));
    }
    for (size_t r = 0; r < block.keys.size(); ++r) {
      EncodeKey(block.keys[r], k);
      STRATA_RETURN_IF_ERROR(FromRocksDb(
          batch.Put(cf, rocksdb::Slice(k, kEncodedKeySize),
                    RowSlice(&block.values[r * block.dim], block.dim)),
          "batching rows"));
    }
    for (int64_t key : block.deletes) {
      EncodeKey(key, k);
      STRATA_RETURN_IF_ERROR(
          FromRocksDb(batch.Delete(cf, rocksdb::Slice(k, kEncodedKeySize)),
                      "batching deletes"));
    }
  }
  // A later position of the same partition overwrites an earlier one within
  // the batch, so the stored position is the last one given.
  for (const StoredOffset& o : offsets) {
    STRATA_RETURN_IF_ERROR(
        FromRocksDb(batch.Put(OffsetKey(o.scope, o.topic, o.partition),
                              absl::StrCat(o.next_offset)),
                    "batching offsets"));
  }
  if (batch.Count() == 0) return absl::OkStatus();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocksDb(db_->Write(wo, &batch), "writing rows");
}

absl::StatusOr<std::optional<int64_t>> RocksDbStore::ReadOffset(
    absl::string_view scope, absl::string_view topic, int32_t partition) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(),
                               OffsetKey(scope, topic, partition), &value);
  if (s.IsNotFound()) return std::nullopt;
  STRATA_RETURN_IF_ERROR(FromRocksDb(s, "reading a stored offset"));
  int64_t offset = 0;
  if (!absl::SimpleAtoi(value, &offset)) {
    return absl::DataLossError(absl::StrCat("bad stored offset \"", value,
                                            "\" for ", topic, "/", partition));
  }
  return offset;
}

absl::Status RocksDbStore::ScanConsistent(
    absl::Span<const std::string> tables, absl::string_view offset_scope,
    const std::function<absl::Status(size_t table, int64_t key,
                                     absl::string_view row)>& row,
    std::map<std::string, int64_t>* offsets) const {
  const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
  absl::Cleanup release = [&] { db_->ReleaseSnapshot(snapshot); };
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.fill_cache = false;  // a full scan must not evict the serving rows
  for (size_t i = 0; i < tables.size(); ++i) {
    rocksdb::ColumnFamilyHandle* cf = FindColumnFamily(tables[i]);
    if (cf == nullptr) {
      return absl::DataLossError(
          absl::StrCat("table ", tables[i], " is missing"));
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key().size() != kEncodedKeySize) {
        return absl::DataLossError(
            absl::StrCat("table ", tables[i], " holds a malformed key"));
      }
      STRATA_RETURN_IF_ERROR(
          row(i, DecodeKey(it->key().data()),
              absl::string_view(it->value().data(), it->value().size())));
    }
    STRATA_RETURN_IF_ERROR(
        FromRocksDb(it->status(), absl::StrCat("scanning ", tables[i])));
  }
  const std::string prefix = absl::StrCat("offset/", offset_scope, "/");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next()) {
    int64_t next = 0;
    if (!absl::SimpleAtoi(
            absl::string_view(it->value().data(), it->value().size()), &next)) {
      return absl::DataLossError(
          absl::StrCat("bad stored offset under ", it->key().ToString()));
    }
    (*offsets)[it->key().ToString().substr(prefix.size())] = next;
  }
  return FromRocksDb(it->status(), "scanning stored offsets");
}

absl::StatusOr<std::unique_ptr<TableFile>> RocksDbStore::NewTableFile(
    const std::string& path, uint32_t dim) const {
  auto writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(),
                                                         *table_options_);
  STRATA_RETURN_IF_ERROR(FromRocksDb(writer->Open(path), "opening " + path));
  return std::unique_ptr<TableFile>(
      new TableFile(path, size_t{dim} * sizeof(float), std::move(writer)));
}

absl::Status RocksDbStore::IngestTable(const std::string& name,
                                       const TableFile& file) {
  STRATA_RETURN_IF_ERROR(CreateTable(name));
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  absl::Status s = FromRocksDb(
      db_->IngestExternalFile(FindColumnFamily(name), {file.path()}, ingest),
      "ingesting " + file.path());
  if (!s.ok()) DropTables({name}).IgnoreError();
  return s;
}

absl::Status RocksDbStore::PutManifest(absl::string_view id,
                                       const std::string& document) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocksDb(db_->Put(wo, absl::StrCat(kManifestPrefix, id), document),
                     "writing a manifest");
}

absl::StatusOr<std::vector<std::string>> RocksDbStore::ListManifests() const {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(kManifestPrefix);
       it->Valid() && it->key().starts_with(kManifestPrefix); it->Next()) {
    out.push_back(it->value().ToString());
  }
  STRATA_RETURN_IF_ERROR(FromRocksDb(it->status(), "listing manifests"));
  return out;
}

absl::Status RocksDbStore::DeleteManifest(absl::string_view id) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocksDb(db_->Delete(wo, absl::StrCat(kManifestPrefix, id)),
                     "deleting a manifest");
}

absl::Status RocksDbStore::DeleteBlob(absl::string_view id) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocksDb(db_->Delete(wo, absl::StrCat(kBlobPrefix, id)),
                     "deleting a blob");
}

absl::Status RocksDbStore::PutBlob(absl::string_view id,
                                   absl::string_view bytes) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocksDb(db_->Put(wo, absl::StrCat(kBlobPrefix, id),
                              rocksdb::Slice(bytes.data(), bytes.size())),
                     "writing a blob");
}

absl::StatusOr<std::string> RocksDbStore::GetBlob(absl::string_view id) const {
  std::string bytes;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), absl::StrCat(kBlobPrefix, id), &bytes);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("no blob \"", id, "\" in ", data_dir()));
  }
  STRATA_RETURN_IF_ERROR(FromRocksDb(s, "reading a blob"));
  return bytes;
}

}  // namespace strata
