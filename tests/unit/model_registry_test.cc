#include "engine/model/model_registry.h"

#include <catch2/catch.hpp>

#include "engine/model/hugectr_importer.h"
#include "tests/unit/test_util.h"

namespace strata::testing {

TEST_CASE("a reopened store serves the newest version without re-import",
          "[registry]") {
  TempDir data, v1, v2;
  WriteHugeCtrTable(v1.path(), "t", {1}, {1.0f});
  WriteHugeCtrTable(v2.path(), "t", {1}, {2.0f});
  {
    auto store = ModelStore::Open(data.path(), {}).value();
    REQUIRE(ImportHugeCtrModel(store.get(), "m", v1.path(), {}).ok());
    REQUIRE(ImportHugeCtrModel(store.get(), "m", v2.path(), {}).ok());
  }
  auto store = ModelStore::Open(data.path(), {}).value();
  auto registry = ModelRegistry::Open(store.get(), {}).value();
  auto model = registry->Find("m");
  REQUIRE(model != nullptr);
  CHECK(model->version() == 2);
  CHECK(registry->Find("m", 1) == nullptr);
  CHECK(registry->Find("m", 2) == model);
  CHECK(registry->Find("other") == nullptr);
  std::vector<float> row(1);
  std::vector<size_t> defaulted;
  REQUIRE(model->FindTable("t")
              ->chain->Lookup({1}, absl::MakeSpan(row), &defaulted)
              .ok());
  CHECK(row[0] == 2.0f);
}

TEST_CASE("a second open of a data dir fails with a clear error",
          "[registry]") {
  TempDir data;
  auto first = ModelStore::Open(data.path(), {});
  REQUIRE(first.ok());
  auto second = ModelStore::Open(data.path(), {});
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(second.status().message()),
             Catch::Contains("locked by another process"));
}

TEST_CASE("column families that no manifest names are dropped at open",
          "[registry]") {
  TempDir data;
  {
    auto store = ModelStore::Open(data.path(), {}).value();
    REQUIRE(store->rocksdb()->CreateTable("half@1/t").ok());
  }
  auto store = ModelStore::Open(data.path(), {}).value();
  CHECK_FALSE(store->rocksdb()->HasTable("half@1/t"));
}

}  // namespace strata::testing
