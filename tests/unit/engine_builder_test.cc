// Engine::Open: one options struct assembles the engine; the GPU cache's
// backends resolve as documented, and warm-up fills the cache before the
// engine is handed out.
#include <catch2/catch.hpp>
#include <filesystem>
#include <vector>

#include "engine/builder/engine.h"
#include "engine/builder/offline.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

// Model "m" with table "t" of 100 rows (keys 0..99, dim 2) in a data dir.
struct Dir {
  TempDir dir;
  std::string data_dir = dir.path() + "/data";

  Dir() {
    std::vector<int64_t> keys;
    std::vector<float> values;
    for (int64_t k = 0; k < 100; ++k) {
      keys.push_back(k);
      values.push_back(k);
      values.push_back(-k);
    }
    WriteHugeCtrTable(dir.path() + "/in", "t", keys, values);
    REQUIRE(ImportHugeCtrIntoDataDir(data_dir, "m", dir.path() + "/in",
                                     ImportOptions())
                .ok());
  }

  EngineOptions Options(const std::string& backend) const {
    EngineOptions o;
    o.data_dir = data_dir;
    o.gpu.backend = backend;
    o.gpu.fraction = 0.5;
    o.batcher.workers = 1;
    return o;
  }
};

const Tier& Front(const Engine& engine) {
  return *engine.registry()->Find("m")->FindTable("t")->chain->tiers().front();
}

TEST_CASE("the engine builder resolves the GPU cache backend") {
  Dir d;
  SECTION("reference: the cache is tier 1, in front of the hash map") {
    auto engine = Engine::Open(d.Options("reference"));
    REQUIRE(engine.ok());
    const auto& tiers =
        (*engine)->registry()->Find("m")->FindTable("t")->chain->tiers();
    REQUIRE(tiers.size() == 3);
    CHECK(tiers[0]->name() == "gpu_cache");
    CHECK(tiers[1]->name() == "hash_map");
    CHECK(tiers[2]->name() == "rocksdb");
    CHECK(tiers[0]->Stats().rows == 0);  // no warm-up asked
  }
  SECTION("auto without a device, and off: no GPU tier") {
    for (const char* backend : {"auto", "off"}) {
      auto engine = Engine::Open(d.Options(backend));
      REQUIRE(engine.ok());
      CHECK(Front(**engine).name() == "hash_map");
    }
  }
  SECTION("cuda without a device is refused with what to do") {
    auto engine = Engine::Open(d.Options("cuda"));
    REQUIRE(engine.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(std::string(engine.status().message()),
               Catch::Contains("reference"));
  }
  SECTION("bad options fail Open with the option's name") {
    EngineOptions o = d.Options("bogus");
    CHECK_THAT(std::string(Engine::Open(o).status().message()),
               Catch::Contains("gpu_cache_backend"));
    o = d.Options("off");
    o.batcher.max_batch_keys = 0;
    CHECK_THAT(std::string(Engine::Open(o).status().message()),
               Catch::Contains("max_batch_keys"));
  }
}

TEST_CASE("warm-up puts the listed keys in the GPU cache before serving") {
  Dir d;
  const std::string warm = d.dir.path() + "/warm";
  std::filesystem::create_directories(warm + "/m");
  EngineOptions o = d.Options("reference");
  o.gpu.warm_keys_dir = warm;
  SECTION("a key list is read through the chain into the cache") {
    const std::vector<int64_t> keys = {5, 3, 7, 3};
    WriteFile(warm + "/m/t.keys", keys.data(), keys.size() * sizeof(int64_t));
    auto engine = Engine::Open(o);
    REQUIRE(engine.ok());
    const Tier& cache = Front(**engine);
    CHECK(cache.Stats().rows == 3);
    std::vector<float> row(2);
    std::vector<size_t> missing;
    const int64_t key = 7;
    REQUIRE(const_cast<Tier&>(cache)
                .Lookup({&key, 1}, absl::MakeSpan(row), &missing)
                .ok());
    CHECK(missing.empty());
    CHECK(row == std::vector<float>{7, -7});
  }
  SECTION("no file leaves the cache cold") {
    auto engine = Engine::Open(o);
    REQUIRE(engine.ok());
    CHECK(Front(**engine).Stats().rows == 0);
  }
  SECTION("a file that is not whole int64 keys refuses to start") {
    WriteFile(warm + "/m/t.keys", "1234567", 7);
    CHECK(Engine::Open(o).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace strata::testing
