// Fuzzes the checks a LookupRequest goes through before any lookup
// (LookupHandler::Validate: model and version, tables, value_dtype, each
// table's offsets and pooling via ValidateBags, the key limit), against a
// registry opened once on a small imported model. The input is the
// serialized strata.v1.LookupRequest.
//
// Properties: a request that validates names a loaded model and version,
// lists at least one table, each once and each in the model, a known dtype,
// at most kMaxKeys keys, and bags the pooling code can walk: PoolBags and
// CountBagDefaults (what the lookup call runs) stay in bounds under ASan and
// every key falls in exactly one bag. A refused request is INVALID_ARGUMENT
// or NOT_FOUND.
//
// Models (imported in LLVMFuzzerInitialize into a temp data dir):
//   "m": tables "t0" (dim 4), "t1" (dim 8), "t.2" (dim 1);  "n": "t0" (dim 2).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/common/bag_pool.h"
#include "engine/model/hugectr_importer.h"
#include "engine/model/model_registry.h"
#include "engine/model/model_store.h"
#include "server/lookup_handler.h"
#include "strata/v1/embedding.pb.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/unit/test_util.h"

namespace strata {
namespace {

constexpr uint32_t kMaxKeys = 256;

// Members in construction order: the registry borrows the store, the store
// lives in the temp dir. Deleted by an atexit handler registered after it
// is built, so before the statics it made (RocksDB's logger) are destroyed.
struct Fixture {
  testing::TempDir data;
  std::unique_ptr<ModelStore> store;
  std::unique_ptr<ModelRegistry> registry;
  std::unique_ptr<LookupHandler> handler;
};
Fixture* fixture = nullptr;

void Import(const std::string& model,
            const std::vector<std::pair<std::string, uint32_t>>& tables) {
  testing::TempDir from;
  for (const auto& [table, dim] : tables) {
    const std::vector<int64_t> keys = {1, 2, 3};
    testing::WriteHugeCtrTable(from.path(), table, keys,
                               std::vector<float>(keys.size() * dim, 0.5f));
  }
  absl::StatusOr<ModelManifest> manifest =
      ImportHugeCtrModel(fixture->store.get(), model, from.path(), {});
  if (!manifest.ok()) {
    std::fprintf(stderr, "fixture import failed: %s\n",
                 manifest.status().ToString().c_str());
    std::abort();
  }
}

void CheckAccepted(const v1::LookupRequest& request, const Model& model) {
  STRATA_FUZZ_CHECK(model.name() == request.model());
  STRATA_FUZZ_CHECK(request.version() == 0 ||
                    model.version() == request.version());
  STRATA_FUZZ_CHECK(request.tables_size() > 0);
  STRATA_FUZZ_CHECK(v1::ValueDtype_IsValid(request.value_dtype()));
  std::set<std::string> seen;
  uint64_t keys = 0;
  for (const v1::TableKeys& t : request.tables()) {
    STRATA_FUZZ_CHECK(seen.insert(t.table()).second);
    const Model::Table* table = model.FindTable(t.table());
    STRATA_FUZZ_CHECK(table != nullptr);
    keys += t.keys_size();
    if (t.offsets().empty()) {
      STRATA_FUZZ_CHECK(t.pooling() == v1::NONE);
      continue;
    }
    STRATA_FUZZ_CHECK(t.pooling() == v1::SUM || t.pooling() == v1::MEAN);
    // What LookupCall does with the bags of a validated table.
    const uint32_t dim = table->spec.dim;
    const std::vector<float> rows(size_t(t.keys_size()) * dim, 1.0f);
    std::vector<size_t> defaulted(t.keys_size());
    for (size_t i = 0; i < defaulted.size(); ++i) defaulted[i] = i;
    const size_t bags = size_t(t.offsets_size()) - 1;
    std::vector<float> pooled(bags * dim);
    std::vector<uint32_t> counts(bags);
    const auto offsets =
        absl::MakeConstSpan(t.offsets().data(), t.offsets_size());
    PoolBags(rows, dim, offsets,
             t.pooling() == v1::MEAN ? BagPooling::kMean : BagPooling::kSum,
             pooled.data(), dim);
    CountBagDefaults(defaulted, offsets, counts.data());
    uint64_t counted = 0;
    for (size_t b = 0; b < bags; ++b) {
      STRATA_FUZZ_CHECK(int64_t{counts[b]} == offsets[b + 1] - offsets[b]);
      counted += counts[b];
    }
    STRATA_FUZZ_CHECK(counted == uint64_t(t.keys_size()));
  }
  STRATA_FUZZ_CHECK(keys <= kMaxKeys);
}

}  // namespace
}  // namespace strata

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using namespace strata;
  fixture = new Fixture;
  absl::StatusOr<std::unique_ptr<ModelStore>> store =
      ModelStore::Open(fixture->data.path(), {});
  if (!store.ok()) {
    std::fprintf(stderr, "store: %s\n", store.status().ToString().c_str());
    std::abort();
  }
  fixture->store = *std::move(store);
  Import("m", {{"t0", 4}, {"t1", 8}, {"t.2", 1}});
  Import("n", {{"t0", 2}});
  RegistryOptions options;
  options.hash_map_capacity_bytes = 0;  // RocksDB only: validation reads none
  absl::StatusOr<std::unique_ptr<ModelRegistry>> registry =
      ModelRegistry::Open(fixture->store.get(), options);
  if (!registry.ok()) {
    std::fprintf(stderr, "registry: %s\n",
                 registry.status().ToString().c_str());
    std::abort();
  }
  fixture->registry = *std::move(registry);
  fixture->handler =
      std::make_unique<LookupHandler>(fixture->registry.get(), kMaxKeys);
  std::atexit([] {
    delete fixture;
    fixture = nullptr;
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  v1::LookupRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  absl::StatusOr<std::shared_ptr<const Model>> model =
      fixture->handler->Validate(request);
  if (!model.ok()) {
    const absl::StatusCode code = model.status().code();
    STRATA_FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                      code == absl::StatusCode::kNotFound);
    return 0;
  }
  STRATA_FUZZ_CHECK(*model != nullptr);
  CheckAccepted(request, **model);
  return 0;
}
