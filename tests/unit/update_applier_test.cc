#include <catch2/catch.hpp>
#include <memory>

#include "engine/model/hugectr_importer.h"
#include "engine/update/applier.h"
#include "engine/update/update_codec.h"
#include "strata/v1/update.pb.h"
#include "tests/unit/update_test_util.h"

namespace strata::testing {
namespace {

DecodedUpdate Update(const std::string& table, uint32_t dim,
                     std::vector<int64_t> keys, float value) {
  DecodedUpdate u;
  u.model = "m";
  u.table = table;
  u.dim = dim;
  u.values.assign(keys.size() * dim, value);
  u.keys = std::move(keys);
  return u;
}

}  // namespace

TEST_CASE("applied rows are visible through warm caches", "[update]") {
  UpdateModel m;
  Applier applier(m.store.get(), m.registry.get());
  // Warm the hash map with the old row first.
  CHECK(m.Row("t", 3) == std::vector<float>(4, 3.0f));
  CHECK(m.Row("t", 3) == std::vector<float>(4, 3.0f));
  std::vector<int64_t> hooked;
  applier.AddHook([&](const Model&, const std::string& table,
                      absl::Span<const int64_t> keys, absl::Span<const float>) {
    hooked.insert(hooked.end(), keys.begin(), keys.end());
  });
  DecodedUpdate u = Update("t", 4, {3, 1000}, 9.0f);
  auto rows = applier.Apply({&u, 1});
  REQUIRE(rows.ok());
  CHECK(*rows == 2);
  CHECK(m.Row("t", 3) == std::vector<float>(4, 9.0f));
  CHECK(m.Row("t", 1000) == std::vector<float>(4, 9.0f));  // a new key
  CHECK(hooked == std::vector<int64_t>{3, 1000});
  CHECK(applier.stats().applied_rows == 2);
}

TEST_CASE("a bad update writes nothing", "[update]") {
  UpdateModel m;
  Applier applier(m.store.get(), m.registry.get());
  std::vector<DecodedUpdate> batch = {Update("t", 4, {1}, 5.0f),
                                      Update("t", 3, {2}, 5.0f)};
  CHECK(absl::IsInvalidArgument(applier.Apply(batch).status()));
  batch[1] = Update("nope", 4, {2}, 5.0f);
  CHECK(absl::IsNotFound(applier.Apply(batch).status()));
  batch[1] = Update("t", 4, {2}, 5.0f);
  batch[1].model = "other";
  CHECK(absl::IsNotFound(applier.Apply(batch).status()));
  CHECK(m.Row("t", 1) == std::vector<float>(4, 1.0f));
  // On a topic of model m, an update naming another model is malformed.
  UpdatePosition pos{"m", "strata.m", 0, 0};
  CHECK(absl::IsInvalidArgument(applier.Apply({&batch[1], 1}, &pos).status()));
}

TEST_CASE("offsets are stored with the rows and survive a restart",
          "[update]") {
  UpdateModel m;
  {
    Applier applier(m.store.get(), m.registry.get());
    CHECK_FALSE(applier.NextOffset("m", "strata.m", 0).value().has_value());
    DecodedUpdate u = Update("u", 2, {7}, 70.0f);
    UpdatePosition pos{"m", "strata.m", 0, 41};
    REQUIRE(applier.Apply({&u, 1}, &pos).ok());
    REQUIRE(applier.Skip({"m", "strata.m", 1, 9}).ok());
  }
  m.Reopen();
  Applier applier(m.store.get(), m.registry.get());
  CHECK(applier.NextOffset("m", "strata.m", 0).value() == 42);
  CHECK(applier.NextOffset("m", "strata.m", 1).value() == 10);
  CHECK_FALSE(applier.NextOffset("m", "strata.m", 2).value().has_value());
  CHECK(m.Row("u", 7) == std::vector<float>(2, 70.0f));
}

TEST_CASE("deltas older than the serving snapshot are skipped", "[update]") {
  UpdateModel m;
  // Version 2 of the model was built at offset 100 of partition 0.
  ModelManifest v2 = m.registry->Find("m")->manifest();
  v2.version = 2;
  v2.update_offsets[Applier::PartitionKey("strata.m", 0)] = 100;
  REQUIRE(m.store->PutManifest(v2).ok());
  m.Reopen();
  REQUIRE(m.registry->Find("m")->version() == 2);
  Applier applier(m.store.get(), m.registry.get());
  CHECK(applier.NextOffset("m", "strata.m", 0).value() == 100);
  DecodedUpdate u = Update("t", 4, {1}, 5.0f);
  UpdatePosition old_pos{"m", "strata.m", 0, 99};
  CHECK(applier.Apply({&u, 1}, &old_pos).value() == 0);
  CHECK(applier.stats().stale_messages == 1);
  CHECK(m.Row("t", 1) == std::vector<float>(4, 1.0f));
  UpdatePosition new_pos{"m", "strata.m", 0, 100};
  CHECK(applier.Apply({&u, 1}, &new_pos).value() == 1);
  CHECK(m.Row("t", 1) == std::vector<float>(4, 5.0f));
}

TEST_CASE("many consumed messages apply in one write with their positions",
          "[update]") {
  UpdateModel m;
  // The serving snapshot was built at offset 10 of partition 1.
  ModelManifest v2 = m.registry->Find("m")->manifest();
  v2.version = 2;
  v2.update_offsets[Applier::PartitionKey("strata.m", 1)] = 10;
  REQUIRE(m.store->PutManifest(v2).ok());
  m.Reopen();
  Applier applier(m.store.get(), m.registry.get());
  std::vector<DecodedUpdate> updates = {
      Update("t", 4, {1}, 11.0f), Update("t", 4, {1, 2}, 12.0f),
      Update("u", 2, {3}, 13.0f), Update("t", 4, {4}, 14.0f)};
  std::vector<UpdatePosition> positions = {{"m", "strata.m", 0, 5},
                                           {"m", "strata.m", 0, 6},
                                           {"m", "strata.m", 1, 9},  // stale
                                           {"m", "strata.m", 1, 12}};
  auto counts = applier.ApplyLogged(updates, positions);
  REQUIRE(counts.ok());
  CHECK(counts->rows == 4);
  CHECK(counts->applied_messages == 3);
  CHECK(counts->stale_messages == 1);
  CHECK(m.Row("t", 1) == std::vector<float>(4, 12.0f));  // the later one
  CHECK(m.Row("t", 2) == std::vector<float>(4, 12.0f));
  CHECK(m.Row("u", 3) == std::vector<float>(2, 3.0f));  // stale: left out
  CHECK(m.Row("t", 4) == std::vector<float>(4, 14.0f));
  // The position after the last message of each partition.
  CHECK(applier.NextOffset("m", "strata.m", 0).value() == 7);
  CHECK(applier.NextOffset("m", "strata.m", 1).value() == 13);

  // One bad message fails the whole call and writes nothing.
  updates[1] = Update("t", 3, {2}, 99.0f);
  positions = {{"m", "strata.m", 0, 7}, {"m", "strata.m", 0, 8}};
  updates.resize(2);
  CHECK(absl::IsInvalidArgument(
      applier.ApplyLogged(updates, positions).status()));
  CHECK(m.Row("t", 1) == std::vector<float>(4, 12.0f));
  CHECK(applier.NextOffset("m", "strata.m", 0).value() == 7);
  // Positions must match the updates one for one.
  positions.pop_back();
  CHECK(absl::IsInvalidArgument(
      applier.ApplyLogged(updates, positions).status()));
}

}  // namespace strata::testing

namespace strata::testing {

TEST_CASE("a delete takes the row from every tier, durably", "[update]") {
  UpdateModel m;
  auto applier = std::make_unique<Applier>(m.store.get(), m.registry.get());
  auto lookup = [&m](int64_t key, std::vector<float>* row) {
    row->assign(UpdateModel::kDimT, -1.0f);
    std::vector<size_t> defaulted;
    REQUIRE(m.registry->Find("m")
                ->FindTable("t")
                ->chain->Lookup({key}, absl::MakeSpan(*row), &defaulted)
                .ok());
    return defaulted.size() == 1;  // the flagged default
  };
  std::vector<float> row;
  CHECK_FALSE(lookup(3, &row));  // warms the hash map with the row
  CHECK_FALSE(lookup(3, &row));
  // Key 4 is written and deleted in one batch: it ends deleted.
  DecodedUpdate u = Update("t", UpdateModel::kDimT, {4, 5}, 9.0f);
  u.delete_keys = {3, 4, 12345};  // 12345 never existed: a no-op
  auto rows = applier->Apply({&u, 1});
  REQUIRE(rows.ok());
  CHECK(*rows == 5);
  for (int64_t key : {3, 4}) {
    INFO("key " << key);
    CHECK(lookup(key, &row));
    CHECK(row == std::vector<float>(UpdateModel::kDimT, 0.0f));
  }
  CHECK_FALSE(lookup(5, &row));
  CHECK(row == std::vector<float>(UpdateModel::kDimT, 9.0f));
  applier.reset();
  m.Reopen();
  CHECK(lookup(3, &row));
  CHECK(lookup(4, &row));
  CHECK_FALSE(lookup(6, &row));
}

TEST_CASE("an UpdateBatch carries deletes through the codec", "[update]") {
  v1::UpdateBatch batch;
  batch.set_model("m");
  batch.set_table("t");
  batch.set_dim(2);
  batch.add_delete_keys(7);
  batch.add_delete_keys(-1);
  auto decoded = DecodeUpdateBatch(batch.SerializeAsString());
  REQUIRE(decoded.ok());
  CHECK(decoded->keys.empty());
  CHECK(decoded->delete_keys == std::vector<int64_t>{7, -1});
}

}  // namespace strata::testing
