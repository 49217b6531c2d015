// RocksDbStore: the format marker (new, unversioned and newer dirs), atomic
// row + offset writes, and table files.
#include "engine/store/rocksdb/rocksdb_store.h"

#include <catch2/catch.hpp>
#include <vector>

#include "rocksdb/db.h"
#include "tests/unit/test_util.h"

namespace strata {
namespace {

using testing::TempDir;

std::unique_ptr<RocksDbStore> OpenOrDie(const std::string& dir) {
  auto store = RocksDbStore::Open(dir, RocksDbStoreOptions());
  REQUIRE(store.ok());
  return std::move(*store);
}

void SetMarker(RocksDbStore& store, const char* value) {
  rocksdb::DB* db = store.db();
  rocksdb::Status s =
      value == nullptr
          ? db->Delete(rocksdb::WriteOptions(), "strata/format_version")
          : db->Put(rocksdb::WriteOptions(), "strata/format_version", value);
  REQUIRE(s.ok());
}

std::vector<float> ReadRow(RocksDbStore& store, const std::string& table,
                           int64_t key, uint32_t dim) {
  auto tier = store.NewTier(table, dim);
  REQUIRE(tier.ok());
  std::vector<float> row(dim);
  std::vector<size_t> missing;
  REQUIRE((*tier)->Lookup({&key, 1}, absl::MakeSpan(row), &missing).ok());
  if (!missing.empty()) return {};
  return row;
}

TEST_CASE("a new data dir gets the current format and reopens") {
  TempDir dir;
  CHECK_FALSE(OpenOrDie(dir.path())->upgraded());
  CHECK_FALSE(OpenOrDie(dir.path())->upgraded());
}

TEST_CASE("a data dir written before format markers is upgraded in place") {
  TempDir dir;
  const std::vector<int64_t> keys = {7};
  const std::vector<float> row = {1, 2};
  {
    auto store = OpenOrDie(dir.path());
    REQUIRE(store->CreateTable("m@1/t").ok());
    const RowBlock block{"m@1/t", 2, keys, row};
    REQUIRE(store->WriteRows({&block, 1}, {}, false).ok());
    REQUIRE(store->PutManifest("m@1", "{}").ok());
    SetMarker(*store, nullptr);  // what an older build left behind
  }
  auto store = OpenOrDie(dir.path());
  CHECK(store->upgraded());
  CHECK(ReadRow(*store, "m@1/t", 7, 2) == row);
  CHECK(store->ListManifests()->size() == 1);
  store.reset();
  CHECK_FALSE(OpenOrDie(dir.path())->upgraded());
}

TEST_CASE("a data dir of a newer format is refused, never read") {
  TempDir dir;
  SetMarker(*OpenOrDie(dir.path()), "2");
  auto store = RocksDbStore::Open(dir.path(), RocksDbStoreOptions());
  REQUIRE(store.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(store.status().message());
  CHECK_THAT(message, Catch::Contains("on-disk format 2"));
  CHECK_THAT(message, Catch::Contains("newer Strata"));
  CHECK_THAT(message, Catch::Contains("new data dir"));
}

TEST_CASE("an unreadable format marker is data loss") {
  TempDir dir;
  SetMarker(*OpenOrDie(dir.path()), "one");
  CHECK(RocksDbStore::Open(dir.path(), RocksDbStoreOptions()).status().code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("rows and offsets are written together or not at all") {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  REQUIRE(store->CreateTable("a").ok());
  const std::vector<int64_t> keys = {1, 2};
  const std::vector<float> values = {1, 1, 2, 2};
  const StoredOffset offset{"m@1", "topic", 3, 42};

  SECTION("a missing table fails the whole write") {
    const RowBlock blocks[] = {{"a", 2, keys, values},
                               {"missing", 2, keys, values}};
    CHECK(store->WriteRows(blocks, {&offset, 1}, false).code() ==
          absl::StatusCode::kDataLoss);
    CHECK(ReadRow(*store, "a", 1, 2).empty());
    CHECK_FALSE(store->ReadOffset("m@1", "topic", 3)->has_value());
  }
  SECTION("a block whose values do not match its keys fails the write") {
    const RowBlock block{"a", 2, keys, absl::MakeConstSpan(values).first(3)};
    CHECK(store->WriteRows({&block, 1}, {&offset, 1}, false).code() ==
          absl::StatusCode::kInvalidArgument);
    CHECK_FALSE(store->ReadOffset("m@1", "topic", 3)->has_value());
  }
  SECTION("a good write stores both; the last offset of a partition wins") {
    const RowBlock block{"a", 2, keys, values};
    const StoredOffset offsets[] = {offset, {"m@1", "topic", 3, 43}};
    REQUIRE(store->WriteRows({&block, 1}, offsets, true).ok());
    CHECK(ReadRow(*store, "a", 2, 2) == std::vector<float>{2, 2});
    CHECK(store->ReadOffset("m@1", "topic", 3)->value() == 43);
    CHECK_FALSE(store->ReadOffset("m@1", "topic", 4)->has_value());
  }
}

TEST_CASE("a table file takes ascending keys of one row size and ingests") {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  auto file = store->NewTableFile(dir.path() + "/t.sst", 1);
  REQUIRE(file.ok());
  const float one = 1, three = 3;
  const auto bytes = [](const float& f) {
    return absl::MakeConstSpan(reinterpret_cast<const char*>(&f), sizeof f);
  };
  REQUIRE((*file)->Add(-5, bytes(one)).ok());
  CHECK((*file)->Add(-5, bytes(one)).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK((*file)->Add(9, absl::MakeConstSpan("abc", 3)).code() ==
        absl::StatusCode::kInvalidArgument);
  REQUIRE((*file)->Add(9, bytes(three)).ok());
  REQUIRE((*file)->Finish().ok());
  REQUIRE(store->IngestTable("t", **file).ok());
  CHECK(ReadRow(*store, "t", -5, 1) == std::vector<float>{1});
  CHECK(ReadRow(*store, "t", 9, 1) == std::vector<float>{3});
  CHECK(store->IngestTable("t", **file).code() ==
        absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace strata
