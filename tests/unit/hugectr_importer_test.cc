#include "engine/model/hugectr_importer.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <vector>

#include "engine/model/model_generator.h"
#include "engine/model/model_registry.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

std::unique_ptr<ModelStore> OpenStore(const std::string& dir) {
  return std::move(ModelStore::Open(dir, ModelStoreOptions())).value();
}

size_t CountManifests(ModelStore& store) {
  return store.ListManifests().value().size();
}

}  // namespace

TEST_CASE("import makes every row readable and records the manifest",
          "[import]") {
  TempDir data, src;
  WriteHugeCtrTable(src.path(), "a", {30, -1, 7},
                    {3, 3.5f, -1, -1.5f, 7, 7.5f});
  WriteHugeCtrTable(src.path(), "b", {1}, {1, 2, 3});
  auto store = OpenStore(data.path());
  auto manifest = ImportHugeCtrModel(store.get(), "m", src.path(), {});
  REQUIRE(manifest.ok());
  CHECK(manifest->version == 1);
  REQUIRE(manifest->tables.size() == 2);
  CHECK(manifest->tables[0].name == "a");
  CHECK(manifest->tables[0].dim == 2);
  CHECK(manifest->tables[0].rows == 3);
  CHECK(manifest->tables[1].dim == 3);

  RegistryOptions options;
  auto registry = ModelRegistry::Open(store.get(), options);
  REQUIRE(registry.ok());
  auto model = (*registry)->Find("m");
  REQUIRE(model != nullptr);
  const Model::Table* a = model->FindTable("a");
  REQUIRE(a != nullptr);
  std::vector<float> values(4 * 2);
  std::vector<size_t> defaulted;
  REQUIRE(a->chain->Lookup({7, 30, 8, -1}, absl::MakeSpan(values), &defaulted)
              .ok());
  CHECK(values == std::vector<float>{7, 7.5f, 3, 3.5f, 0, 0, -1, -1.5f});
  CHECK(defaulted == std::vector<size_t>{2});
}

TEST_CASE("a second import of the same model is a new version", "[import]") {
  TempDir data, src;
  WriteHugeCtrTable(src.path(), "a", {1}, {1.0f});
  auto store = OpenStore(data.path());
  REQUIRE(ImportHugeCtrModel(store.get(), "m", src.path(), {}).ok());
  auto second = ImportHugeCtrModel(store.get(), "m", src.path(), {});
  REQUIRE(second.ok());
  CHECK(second->version == 2);
}

TEST_CASE("bad input is refused and nothing is imported", "[import]") {
  TempDir data, src;
  WriteHugeCtrTable(src.path(), "good", {1, 2}, {1, 2});
  std::string message_part;
  SECTION("key and emb_vector sizes disagree") {
    WriteHugeCtrTable(src.path(), "bad", {1, 2, 3}, {1, 2, 3, 4});
    message_part = "sizes disagree";
  }
  SECTION("key file not a multiple of 8") {
    WriteFile(src.path() + "/bad.model/key", "12345", 5);
    WriteFile(src.path() + "/bad.model/emb_vector", "1234", 4);
    message_part = "not a multiple of 8";
  }
  SECTION("emb_vector not a multiple of 4 x dim") {
    std::vector<int64_t> keys = {1, 2};
    WriteFile(src.path() + "/bad.model/key", keys.data(), 16);
    WriteFile(src.path() + "/bad.model/emb_vector", "123456789", 9);
    message_part = "sizes disagree";
  }
  SECTION("duplicate keys") {
    WriteHugeCtrTable(src.path(), "bad", {4, 5, 4}, {1, 2, 3});
    message_part = "duplicate key 4";
  }
  SECTION("missing emb_vector") {
    std::vector<int64_t> keys = {1};
    WriteFile(src.path() + "/bad.model/key", keys.data(), 8);
    message_part = "emb_vector";
  }
  auto store = OpenStore(data.path());
  auto result = ImportHugeCtrModel(store.get(), "m", src.path(), {});
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(std::string(result.status().message()),
             Catch::Contains(message_part));
  CHECK(CountManifests(*store) == 0);
  CHECK_FALSE(store->rocksdb()->HasTable("m@1/good"));
  CHECK_FALSE(std::filesystem::exists(data.path() + "/import-tmp/m@1"));
}

TEST_CASE("import checks an expected dim", "[import]") {
  TempDir data, src;
  WriteHugeCtrTable(src.path(), "a", {1, 2}, {1, 2, 3, 4});
  auto store = OpenStore(data.path());
  ImportOptions options;
  options.dim = 4;
  auto result = ImportHugeCtrModel(store.get(), "m", src.path(), options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(result.status().message()),
             Catch::Contains("dim 4 was expected"));
}

TEST_CASE("a folder with no tables is refused", "[import]") {
  TempDir data, src;
  auto store = OpenStore(data.path());
  auto result = ImportHugeCtrModel(store.get(), "m", src.path(), {});
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  result = ImportHugeCtrModel(store.get(), "m", src.path() + "/nope", {});
  CHECK(result.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("the generator is deterministic and the importer reads it back",
          "[import][generator]") {
  TempDir data, src1, src2;
  GeneratorOptions g;
  g.tables = 2;
  g.rows = 50;
  g.dim = 3;
  g.seed = 9;
  REQUIRE(GenerateHugeCtrModel(src1.path(), g).ok());
  REQUIRE(GenerateHugeCtrModel(src2.path(), g).ok());
  CHECK(ReadFile(src1.path() + "/t1.model/emb_vector") ==
        ReadFile(src2.path() + "/t1.model/emb_vector"));
  g.seed = 10;
  TempDir src3;
  REQUIRE(GenerateHugeCtrModel(src3.path(), g).ok());
  CHECK(ReadFile(src1.path() + "/t1.model/emb_vector") !=
        ReadFile(src3.path() + "/t1.model/emb_vector"));

  auto store = OpenStore(data.path());
  REQUIRE(ImportHugeCtrModel(store.get(), "gen", src1.path(), {}).ok());
  auto registry = ModelRegistry::Open(store.get(), RegistryOptions()).value();
  const Model::Table* t1 = registry->Find("gen")->FindTable("t1");
  REQUIRE(t1 != nullptr);
  std::vector<float> row(3);
  std::vector<size_t> defaulted;
  REQUIRE(t1->chain->Lookup({17}, absl::MakeSpan(row), &defaulted).ok());
  for (uint32_t j = 0; j < 3; ++j) CHECK(row[j] == GeneratedValue(9, 1, 17, j));
}

TEST_CASE("Criteo-shaped row counts scale and never drop below one row",
          "[generator]") {
  auto rows = CriteoTableRows(0.01);
  REQUIRE(rows.size() == 26);
  CHECK(rows[0] == 458332);
  CHECK(rows[5] == 1);
  uint64_t total = 0;
  for (uint64_t r : CriteoTableRows(1.0)) total += r;
  CHECK(total == 177944275);
}

}  // namespace strata::testing

namespace strata::testing {

TEST_CASE("import records the update offsets a snapshot was built at",
          "[import]") {
  auto parsed = ParseUpdateOffsets("strata.m/0=15,hps_et.m.a/3=7");
  REQUIRE(parsed.ok());
  CHECK(parsed->at("strata.m/0") == 15);
  CHECK(parsed->at("hps_et.m.a/3") == 7);
  CHECK_FALSE(ParseUpdateOffsets("strata.m=15").ok());
  CHECK_FALSE(ParseUpdateOffsets("strata.m/x=1").ok());
  CHECK_FALSE(ParseUpdateOffsets("strata.m/0=-1").ok());

  TempDir data, src;
  WriteHugeCtrTable(src.path(), "a", {1}, {1.0f});
  auto store = ModelStore::Open(data.path(), {}).value();
  ImportOptions options;
  options.update_offsets = *parsed;
  REQUIRE(ImportHugeCtrModel(store.get(), "m", src.path(), options).ok());
  auto manifests = store->ListManifests().value();
  REQUIRE(manifests.size() == 1);
  CHECK(manifests[0].update_offsets == *parsed);
}

}  // namespace strata::testing
