// DefaultRow: parsing, the three kinds, and a hashed default row served
// through an imported model, the same after a reopen.
#include "engine/store/default_row.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "engine/model/hugectr_importer.h"
#include "engine/model/model_registry.h"
#include "tests/unit/test_util.h"

namespace strata::testing {

TEST_CASE("default row specs parse or are refused with a reason",
          "[default_row]") {
  CHECK(DefaultRow::Parse("", 4, 0.5f).ok());
  CHECK(DefaultRow::Parse("vector:1,2,3,4", 4, 0).ok());
  CHECK(DefaultRow::Parse("hash:7:-0.05:0.05", 4, 0).ok());
  for (const char* bad :
       {"vector:1,2,3", "vector:1,2,x,4", "vector:", "hash:7:1:1", "hash:7:0.1",
        "hash:x:0:1", "hash:7:nan:1", "zeros", "vector:1,2,3,4,5"}) {
    INFO(bad);
    auto row = DefaultRow::Parse(bad, 4, 0);
    REQUIRE_FALSE(row.ok());
    CHECK(row.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("default rows: scalar, vector, and hashed per key", "[default_row]") {
  std::vector<float> a(4), b(4);
  DefaultRow(0.5f).Fill(9, a.data(), 4);
  CHECK(a == std::vector<float>(4, 0.5f));
  DefaultRow::Parse("vector:1,2,3,4", 4, 0)->Fill(9, a.data(), 4);
  CHECK(a == std::vector<float>{1, 2, 3, 4});

  DefaultRow hashed = *DefaultRow::Parse("hash:7:-0.25:0.25", 4, 0);
  CHECK(hashed.spec() == "hash:7:-0.25:0.25");
  hashed.Fill(9, a.data(), 4);
  hashed.Fill(9, b.data(), 4);
  CHECK(a == b);  // deterministic
  hashed.Fill(10, b.data(), 4);
  CHECK(a != b);  // per key
  DefaultRow::Parse("hash:8:-0.25:0.25", 4, 0)->Fill(9, b.data(), 4);
  CHECK(a != b);  // per seed
  double sum = 0;
  std::vector<float> row(64);
  for (int64_t key = -500; key < 500; ++key) {
    hashed.Fill(key, row.data(), 64);
    for (float v : row) {
      REQUIRE(v >= -0.25f);
      REQUIRE(v < 0.25f);
      sum += v;
    }
  }
  CHECK(std::abs(sum / 64000) < 0.01);  // centred: uniform, not constant
}

TEST_CASE("an imported hashed default row is served and reopened",
          "[default_row][registry]") {
  TempDir data, src;
  WriteHugeCtrTable(src.path(), "t", {1, 2}, {1, 1, 2, 2});
  ImportOptions options;
  options.default_row = "hash:3:-1:1";
  for (int open = 0; open < 2; ++open) {
    auto store = ModelStore::Open(data.path(), {}).value();
    if (open == 0) {
      REQUIRE(ImportHugeCtrModel(store.get(), "m", src.path(), options).ok());
      ImportOptions wrong;
      wrong.default_row = "vector:1,2,3";  // dim is 2
      auto refused = ImportHugeCtrModel(store.get(), "m", src.path(), wrong);
      CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
    }
    auto registry = ModelRegistry::Open(store.get(), {}).value();
    auto model = registry->Find("m");
    REQUIRE(model != nullptr);
    CHECK(model->version() == 1);
    std::vector<float> row(2);
    std::vector<size_t> defaulted;
    REQUIRE(model->FindTable("t")
                ->chain->Lookup({77}, absl::MakeSpan(row), &defaulted)
                .ok());
    CHECK(defaulted == std::vector<size_t>{0});
    std::vector<float> expected(2);
    DefaultRow::Parse("hash:3:-1:1", 2, 0)->Fill(77, expected.data(), 2);
    CHECK(row == expected);
  }
}

}  // namespace strata::testing
