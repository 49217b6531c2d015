// RocksDbStore: the data dir on local SSD, and the one owner of its on-disk
// format. One RocksDB database under `<data_dir>/db` holds:
//   - one column family per table, named by the caller (the model layer uses
//     "<model>@<version>/<table>"): key_codec.h keys, values of dim
//     little-endian float32;
//   - in the default column family, "manifest/<id>" documents (opaque here),
//     "blob/<id>" opaque byte strings (a model's dense graph, for one),
//     "offset/<scope>/<topic>/<partition>" consumer positions (the next offset
//     to read, in decimal), and "strata/format_version".
// Nothing else in the engine writes RocksDB: rows and positions go through
// WriteRows (one atomic write), bulk loads through TableFile + IngestTable.
//
// Format versions: kFormatVersion is what this build writes. A dir without a
// version marker predates it; its layout is format 1, so Open upgrades it in
// place by writing the marker. A dir of a newer format is refused with
// FAILED_PRECONDITION saying what to do; it is never read.
//
// Opening takes RocksDB's lock on the directory, so a second process sharing
// the dir fails at once with FAILED_PRECONDITION.
//
// Ownership: owns the DB and every column family handle; tiers from NewTier
// borrow them and must be destroyed first.
// Thread safety: all methods are safe for concurrent calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "engine/store/tier.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class SstFileWriter;
struct Options;
}  // namespace rocksdb

namespace strata {

struct RocksDbStoreOptions {
  // RocksDB block cache shared by all tables.
  uint64_t block_cache_bytes = 256ull << 20;
  // Create the data dir when it does not exist.
  bool create_if_missing = true;

  [[nodiscard]] absl::Status Validate() const;
};

// One table's rows within a WriteRows call.
struct RowBlock {
  absl::string_view table;
  uint32_t dim = 0;
  absl::Span<const int64_t> keys;     // (n)
  absl::Span<const float> values;     // (n, dim)
  absl::Span<const int64_t> deletes;  // (m) removed after `keys` are written
};

// A consumer position, stored with the rows it covers.
struct StoredOffset {
  absl::string_view scope;  // e.g. "<model>@<version>"
  absl::string_view topic;
  int32_t partition = 0;
  int64_t next_offset = 0;  // the first offset not yet applied
};

// Writes one table's rows, in ascending key order, to a file that
// IngestTable then moves into the store whole.
class TableFile {
 public:
  ~TableFile();
  // Keys must be strictly ascending; `row` is dim little-endian floats.
  [[nodiscard]] absl::Status Add(int64_t key, absl::Span<const char> row);
  [[nodiscard]] absl::Status Finish();
  const std::string& path() const { return path_; }

 private:
  friend class RocksDbStore;
  TableFile(std::string path, size_t row_bytes,
            std::unique_ptr<rocksdb::SstFileWriter> writer);

  const std::string path_;
  const size_t row_bytes_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  bool any_ = false;
  int64_t last_ = 0;
};

class RocksDbStore {
 public:
  static constexpr int kFormatVersion = 1;

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(
      const std::string& data_dir, const RocksDbStoreOptions& options);
  ~RocksDbStore();

  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  const std::string& data_dir() const { return data_dir_; }
  // True when Open found a dir of data without a format marker and upgraded
  // it in place.
  bool upgraded() const { return upgraded_; }

  // Tables.
  bool HasTable(const std::string& name) const;
  std::vector<std::string> ListTables() const;
  // An empty table (tests and tools; imports use IngestTable).
  [[nodiscard]] absl::Status CreateTable(const std::string& name);
  // Drops tables; missing names are ignored.
  [[nodiscard]] absl::Status DropTables(const std::vector<std::string>& names);
  // The RocksDB tier over table `name`.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Tier>> NewTier(
      const std::string& name, uint32_t dim) const;

  // Rows of any tables (written, then deleted where a block says so) and
  // consumer positions, in one atomic write: after a crash either all of it
  // is there or none. `sync` waits for the WAL fsync.
  [[nodiscard]] absl::Status WriteRows(absl::Span<const RowBlock> rows,
                                       absl::Span<const StoredOffset> offsets,
                                       bool sync);
  // The stored next offset, or nullopt when none was stored.
  [[nodiscard]] absl::StatusOr<std::optional<int64_t>> ReadOffset(
      absl::string_view scope, absl::string_view topic,
      int32_t partition) const;

  // One consistent view of the store, for snapshots: every row of each of
  // `tables` in ascending key order (row(i, key, bytes): table i), then every
  // offset stored under `offset_scope` ("<topic>/<partition>" -> next
  // offset), all as of one instant. A row callback's error stops the scan.
  [[nodiscard]] absl::Status ScanConsistent(
      absl::Span<const std::string> tables, absl::string_view offset_scope,
      const std::function<absl::Status(size_t table, int64_t key,
                                       absl::string_view row)>& row,
      std::map<std::string, int64_t>* offsets) const;

  // Bulk load: a new table from one TableFile, moved in (not copied). The
  // table must not exist; on failure it does not.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<TableFile>> NewTableFile(
      const std::string& path, uint32_t dim) const;
  [[nodiscard]] absl::Status IngestTable(const std::string& name,
                                         const TableFile& file);

  // Manifests: opaque documents by id, durably written; listed in id order.
  [[nodiscard]] absl::Status PutManifest(absl::string_view id,
                                         const std::string& document);
  [[nodiscard]] absl::StatusOr<std::vector<std::string>> ListManifests() const;
  // Removes a manifest (missing ids are fine), durably.
  [[nodiscard]] absl::Status DeleteManifest(absl::string_view id);

  // Blobs: opaque byte strings by id, durably written before the manifest
  // that names them. NOT_FOUND when `id` was never written.
  [[nodiscard]] absl::Status PutBlob(absl::string_view id,
                                     absl::string_view bytes);
  [[nodiscard]] absl::StatusOr<std::string> GetBlob(absl::string_view id) const;
  // Removes a blob (missing ids are fine), durably.
  [[nodiscard]] absl::Status DeleteBlob(absl::string_view id);

  // Raw access for benchmark baselines only; the include check keeps RocksDB
  // headers inside engine/store/rocksdb/ and the tests.
  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* FindColumnFamily(const std::string& name) const;

 private:
  RocksDbStore() = default;
  [[nodiscard]] absl::Status CheckFormat();

  // Constant after Open.
  std::string data_dir_;
  std::unique_ptr<rocksdb::Options> table_options_;
  std::unique_ptr<rocksdb::DB> db_;
  bool upgraded_ = false;

  mutable absl::Mutex mu_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> column_families_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace strata
