#include "engine/store/rocksdb/rocksdb_tier.h"

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/store/key_codec.h"
#include "engine/store/rocksdb/rocksdb_status.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace strata {
namespace {

class RocksDbTier final : public Tier {
 public:
  RocksDbTier(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint32_t dim)
      : db_(db), cf_(cf), dim_(dim) {}

  const std::string& name() const override { return name_; }
  uint32_t dim() const override { return dim_; }

  absl::Status Lookup(absl::Span<const int64_t> keys, absl::Span<float> values,
                      std::vector<size_t>* missing) override {
    const size_t n = keys.size();
    if (n == 0) return absl::OkStatus();
    std::vector<char> encoded(n * kEncodedKeySize);
    std::vector<rocksdb::Slice> slices(n);
    for (size_t i = 0; i < n; ++i) {
      EncodeKey(keys[i], &encoded[i * kEncodedKeySize]);
      slices[i] =
          rocksdb::Slice(&encoded[i * kEncodedKeySize], kEncodedKeySize);
    }
    std::vector<rocksdb::PinnableSlice> found(n);
    std::vector<rocksdb::Status> statuses(n);
    db_->MultiGet(rocksdb::ReadOptions(), cf_, n, slices.data(), found.data(),
                  statuses.data(), /*sorted_input=*/false);
    const size_t row_bytes = dim_ * sizeof(float);
    uint64_t hits = 0;
    for (size_t i = 0; i < n; ++i) {
      if (statuses[i].IsNotFound()) {
        missing->push_back(i);
        continue;
      }
      if (!statuses[i].ok()) return FromRocksDb(statuses[i], "rocksdb lookup");
      if (found[i].size() != row_bytes) {
        return absl::DataLossError(
            absl::StrCat("rocksdb row for key ", keys[i], " has ",
                         found[i].size(), " bytes, expected ", row_bytes));
      }
      std::memcpy(&values[i * dim_], found[i].data(), row_bytes);
      ++hits;
    }
    lookups_.fetch_add(n, std::memory_order_relaxed);
    hits_.fetch_add(hits, std::memory_order_relaxed);
    return absl::OkStatus();
  }

  absl::Status Upsert(absl::Span<const int64_t> keys,
                      absl::Span<const float> values) override {
    rocksdb::WriteBatch batch;
    char k[kEncodedKeySize];
    const size_t row_bytes = dim_ * sizeof(float);
    for (size_t i = 0; i < keys.size(); ++i) {
      EncodeKey(keys[i], k);
      rocksdb::Status s = batch.Put(
          cf_, rocksdb::Slice(k, kEncodedKeySize),
          rocksdb::Slice(reinterpret_cast<const char*>(&values[i * dim_]),
                         row_bytes));
      if (!s.ok()) return FromRocksDb(s, "rocksdb batch put");
    }
    return FromRocksDb(db_->Write(rocksdb::WriteOptions(), &batch),
                       "rocksdb write");
  }

  absl::Status Erase(absl::Span<const int64_t> keys) override {
    rocksdb::WriteBatch batch;
    char k[kEncodedKeySize];
    for (int64_t key : keys) {
      EncodeKey(key, k);
      rocksdb::Status s = batch.Delete(cf_, rocksdb::Slice(k, kEncodedKeySize));
      if (!s.ok()) return FromRocksDb(s, "rocksdb batch delete");
    }
    return FromRocksDb(db_->Write(rocksdb::WriteOptions(), &batch),
                       "rocksdb write");
  }

  TierStats Stats() const override {
    TierStats s;
    s.lookups = lookups_.load(std::memory_order_relaxed);
    s.hits = hits_.load(std::memory_order_relaxed);
    uint64_t keys = 0;
    if (db_->GetIntProperty(cf_, "rocksdb.estimate-num-keys", &keys)) {
      s.rows = keys;
    }
    uint64_t bytes = 0;
    if (db_->GetIntProperty(cf_, "rocksdb.live-sst-files-size", &bytes)) {
      s.bytes = bytes;
    }
    return s;
  }

 private:
  // Constant after construction.
  const std::string name_ = "rocksdb";
  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const uint32_t dim_;

  std::atomic<uint64_t> lookups_{0};
  std::atomic<uint64_t> hits_{0};
};

}  // namespace

std::unique_ptr<Tier> NewRocksDbTier(rocksdb::DB* db,
                                     rocksdb::ColumnFamilyHandle* column_family,
                                     uint32_t dim) {
  return std::make_unique<RocksDbTier>(db, column_family, dim);
}

}  // namespace strata
