// Model-based test of the registry's version bookkeeping: long random
// sequences of Serve, Stage, Unload, DeleteVersion, restarts, and requests
// that hold a version and let go, checked after every step against a plain
// reference. Every row of version V of a model holds V, so a held version
// shows whether its rows are still there.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/model/hugectr_importer.h"
#include "engine/model/model_registry.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

constexpr uint64_t kVersions = 4;
const std::vector<std::string> kModels = {"m", "n"};

struct Reference {
  std::map<std::string, uint64_t> serving;  // 0: nothing
  std::map<std::string, std::set<uint64_t>> staged;
  std::map<std::string, std::set<uint64_t>> stored;
  // What Open serves: the recorded choice, or the newest stored.
  std::map<std::string, std::string> recorded;

  void Reopen() {
    for (const std::string& name : kModels) {
      staged[name].clear();
      const std::string& r = recorded[name];
      if (r == "unloaded") {
        serving[name] = 0;
      } else if (!r.empty()) {
        serving[name] = std::stoull(r);
      } else {
        serving[name] = stored[name].empty() ? 0 : *stored[name].rbegin();
      }
    }
  }
};

float RowOf(const Model& model) {
  std::vector<float> row(1);
  std::vector<size_t> defaulted;
  REQUIRE(model.FindTable("t")
              ->chain->Lookup({7}, absl::MakeSpan(row), &defaulted)
              .ok());
  REQUIRE(defaulted.empty());
  return row[0];
}

}  // namespace

TEST_CASE("registry versions follow a reference model under random operations",
          "[registry][model]") {
  TempDir data, sources;
  std::map<std::string, std::vector<ModelManifest>> manifests;
  auto store = ModelStore::Open(data.path(), {}).value();
  Reference ref;
  for (const std::string& name : kModels) {
    for (uint64_t v = 1; v <= kVersions; ++v) {
      const std::string dir = sources.path() + "/" + name + std::to_string(v);
      WriteHugeCtrTable(dir, "t", {7, 8}, {float(v), float(v)});
      auto manifest = ImportHugeCtrModel(store.get(), name, dir, {});
      REQUIRE(manifest.ok());
      manifests[name].push_back(*manifest);
      ref.stored[name].insert(v);
    }
  }
  RegistryOptions options;
  options.hash_map_capacity_bytes = 1 << 10;  // a cache tier in every chain
  auto registry = ModelRegistry::Open(store.get(), options).value();
  ref.Reopen();

  std::mt19937_64 rng(Catch::rngSeed());
  std::vector<std::shared_ptr<const Model>> held;  // requests in flight
  for (int step = 0; step < 600; ++step) {
    const std::string& name = kModels[rng() % kModels.size()];
    const uint64_t v = 1 + rng() % kVersions;
    const ModelManifest& manifest = manifests[name][v - 1];
    const bool stored = ref.stored[name].count(v) != 0;
    switch (rng() % 7) {
      case 0: {  // Serve
        absl::Status s = registry->Serve(manifest);
        if (!stored) {
          CHECK_FALSE(s.ok());  // its tables are gone
          break;
        }
        REQUIRE(s.ok());
        ref.serving[name] = v;
        ref.staged[name].erase(v);
        ref.recorded[name] = std::to_string(v);
        break;
      }
      case 1: {  // Stage
        absl::Status s = registry->Stage(manifest);
        if (!stored) {
          CHECK_FALSE(s.ok());
          break;
        }
        REQUIRE(s.ok());
        if (ref.serving[name] != v) ref.staged[name].insert(v);
        break;
      }
      case 2: {  // Unload
        absl::Status s = registry->Unload(name);
        const bool loaded = ref.serving[name] != 0 || !ref.staged[name].empty();
        CHECK(s.ok() == loaded);
        if (loaded) {
          ref.serving[name] = 0;
          ref.staged[name].clear();
          ref.recorded[name] = "unloaded";
        }
        break;
      }
      case 3: {  // DeleteVersion
        absl::Status s = registry->DeleteVersion(name, v);
        if (ref.serving[name] == v) {
          CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
        } else if (!stored) {
          CHECK(s.code() == absl::StatusCode::kNotFound);
        } else {
          REQUIRE(s.ok());
          ref.stored[name].erase(v);
          ref.staged[name].erase(v);
        }
        break;
      }
      case 4: {  // a request takes the serving version, or a pinned one
        auto model = registry->Find(name, rng() % 2 ? 0 : v);
        if (model != nullptr) held.push_back(model);
        break;
      }
      case 5:  // a request ends
        if (!held.empty()) {
          held.erase(held.begin() + static_cast<long>(rng() % held.size()));
        }
        registry->ReleaseDeleted();
        break;
      case 6:  // a restart (rarely)
        if (rng() % 8 != 0) break;
        held.clear();
        registry.reset();
        registry = ModelRegistry::Open(store.get(), options).value();
        ref.Reopen();
        break;
    }
    INFO("step " << step);
    for (const std::string& m : kModels) {
      auto serving = registry->Find(m);
      CHECK((serving == nullptr ? 0 : serving->version()) == ref.serving[m]);
      std::set<uint64_t> loaded = ref.staged[m];
      if (ref.serving[m] != 0) loaded.insert(ref.serving[m]);
      std::vector<uint64_t> got = registry->LoadedVersions(m);
      CHECK(std::set<uint64_t>(got.begin(), got.end()) == loaded);
      auto stored_versions = registry->StoredVersions(m);
      REQUIRE(stored_versions.ok());
      CHECK(std::set<uint64_t>(stored_versions->begin(),
                               stored_versions->end()) == ref.stored[m]);
      for (uint64_t version = 1; version <= kVersions; ++version) {
        const std::string table = ModelStore::TableName(m, version, "t");
        bool in_use = false;
        for (const auto& h : held) {
          in_use |= h->name() == m && h->version() == version;
        }
        // Stored versions keep their rows; deleted ones lose them once no
        // request holds them.
        if (ref.stored[m].count(version) != 0 || in_use) {
          CHECK(store->rocksdb()->HasTable(table));
        }
      }
    }
    for (const auto& h : held) CHECK(RowOf(*h) == float(h->version()));
  }
  held.clear();
  registry->ReleaseDeleted();
  for (const std::string& m : kModels) {
    for (uint64_t version = 1; version <= kVersions; ++version) {
      CHECK(store->rocksdb()->HasTable(ModelStore::TableName(
                m, version, "t")) == (ref.stored[m].count(version) != 0));
    }
  }
}

// Not a [concurrency] test: the registry locks with absl::Mutex, which
// Debian ships uninstrumented, so ThreadSanitizer would report every access
// it guards. It runs in the Release and ASan passes.
TEST_CASE("lookups read whole versions while versions swap and go",
          "[registry][stress]") {
  TempDir data, sources;
  auto store = ModelStore::Open(data.path(), {}).value();
  std::vector<ModelManifest> manifests;
  for (uint64_t v = 1; v <= kVersions; ++v) {
    const std::string dir = sources.path() + "/" + std::to_string(v);
    WriteHugeCtrTable(dir, "t", {7, 8}, {float(v), float(v)});
    manifests.push_back(ImportHugeCtrModel(store.get(), "m", dir, {}).value());
  }
  RegistryOptions options;
  options.hash_map_capacity_bytes = 1 << 10;
  auto registry = ModelRegistry::Open(store.get(), options).value();
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const Model> model = registry->Find("m");
        if (model == nullptr) continue;  // between an unload and a serve
        std::vector<float> row(1);
        std::vector<size_t> defaulted;
        absl::Status s = model->FindTable("t")->chain->Lookup(
            {7}, absl::MakeSpan(row), &defaulted);
        if (!s.ok() || row[0] != float(model->version())) ++wrong;
      }
    });
  }
  std::mt19937_64 rng(Catch::rngSeed());
  for (int step = 0; step < 200; ++step) {
    const ModelManifest& m = manifests[rng() % manifests.size()];
    switch (rng() % 4) {
      case 0:
        registry->Unload("m").IgnoreError();
        break;
      case 1:
        registry->Stage(m).IgnoreError();
        break;
      default:
        registry->Serve(m).IgnoreError();
        break;
    }
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  CHECK(wrong.load() == 0);
}

}  // namespace strata::testing
