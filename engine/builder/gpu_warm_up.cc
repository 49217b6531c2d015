#include "engine/builder/gpu_warm_up.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/batch/gpu_cache_tier.h"
#include "engine/common/status_macros.h"

namespace strata {
namespace {

constexpr size_t kBatch = 4096;

absl::StatusOr<std::vector<int64_t>> ReadKeys(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  if (bytes.size() % sizeof(int64_t) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " has ", bytes.size(),
                     " bytes, not a whole number of int64 keys"));
  }
  std::vector<int64_t> keys(bytes.size() / sizeof(int64_t));
  std::memcpy(keys.data(), bytes.data(), bytes.size());
  return keys;
}

absl::Status WarmTable(const Model& model, const Model::Table& table,
                       const GpuCacheTier& cache, const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(std::vector<int64_t> keys, ReadKeys(path));
  if (keys.size() > cache.cache().slots()) keys.resize(cache.cache().slots());
  ChainLookupOptions sync;
  sync.hit_rate_threshold = 2;  // every fill before the call returns
  std::vector<float> values(kBatch * size_t{table.spec.dim});
  std::vector<size_t> defaulted;
  size_t reported = 0;
  for (size_t first = 0; first < keys.size(); first += kBatch) {
    const size_t n = std::min(kBatch, keys.size() - first);
    defaulted.clear();
    STRATA_RETURN_IF_ERROR(table.chain->Lookup(
        absl::MakeConstSpan(&keys[first], n),
        absl::MakeSpan(values).first(n * table.spec.dim), &defaulted, sync));
    if ((first + n) * 10 / keys.size() > reported && keys.size() > kBatch) {
      reported = (first + n) * 10 / keys.size();
      spdlog::info("gpu cache warm-up {}/{}: {}%", model.name(),
                   table.spec.name, reported * 10);
    }
  }
  spdlog::info("gpu cache warm-up {}/{}: {} keys read, {} rows resident",
               model.name(), table.spec.name, keys.size(), cache.Stats().rows);
  return absl::OkStatus();
}

}  // namespace

absl::Status WarmUpGpuCaches(const ModelRegistry& registry,
                             const std::string& dir) {
  for (const std::shared_ptr<const Model>& model : registry.List()) {
    for (const auto& [name, table] : model->tables()) {
      const auto* cache =
          dynamic_cast<const GpuCacheTier*>(table.chain->tiers().front().get());
      if (cache == nullptr) continue;
      const std::string path =
          absl::StrCat(dir, "/", model->name(), "/", name, ".keys");
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) {
        spdlog::info("gpu cache warm-up {}/{}: no {}, left cold", model->name(),
                     name, path);
        continue;
      }
      STRATA_RETURN_IF_ERROR(WarmTable(*model, table, *cache, path));
    }
  }
  return absl::OkStatus();
}

}  // namespace strata
