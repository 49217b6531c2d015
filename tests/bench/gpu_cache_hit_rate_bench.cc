// Hit rate of the GPU cache's policy (the reference backend: the decisions
// the kernels make) on the key stream of BENCHMARKS.md, next to an exact LRU
// and the static top-k oracle of the same capacity on the same keys. Each
// batch is queried, and its misses inserted, as the chain does.
//   strata_gpu_cache_hit_rate_bench [--rows N] [--capacities 0.05,0.1]
//       [--alphas 1.05,1.2] [--batch B] [--json]
#include <CLI/CLI.hpp>
#include <cstdio>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/bench/hit_rate_baselines.h"
#include "engine/common/key_stream.h"
#include "engine/cuda/gpu_cache.h"
#include "nlohmann/json.hpp"

namespace strata {
namespace {

struct Args {
  uint64_t rows = 1000000;
  std::string capacities = "0.05,0.1";
  std::string alphas = "1.05,1.2";
  uint32_t batch = 1024;
  uint64_t warm_capacities = 20;
  uint64_t measure_capacities = 40;
  bool json = false;
};

std::vector<double> Doubles(const std::string& text) {
  std::vector<double> out;
  for (absl::string_view s : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    out.push_back(std::stod(std::string(s)));
  }
  return out;
}

// The cache's hit rate over `keys` after `warm` of them (dim 1: the rows do
// not matter to the policy).
double CacheHitRate(const std::vector<int64_t>& keys, uint64_t capacity,
                    size_t warm, uint32_t batch) {
  GpuCacheOptions o;
  o.dim = 1;
  o.capacity_rows = capacity;
  auto cache = NewReferenceGpuCache(o);
  if (!cache.ok()) std::abort();
  std::vector<float> values(batch), fill;
  std::vector<size_t> missing;
  std::vector<int64_t> miss_keys;
  GpuCacheStats at_warm;
  for (size_t pos = 0; pos + batch <= keys.size(); pos += batch) {
    if (pos == warm) at_warm = (*cache)->Stats();
    const absl::Span<const int64_t> part(&keys[pos], batch);
    missing.clear();
    if (!(*cache)->Query(part, absl::MakeSpan(values), &missing).ok()) {
      std::abort();
    }
    miss_keys.clear();
    for (size_t i : missing) miss_keys.push_back(part[i]);
    fill.assign(miss_keys.size(), 1.0f);
    if (!(*cache)->Insert(miss_keys, fill).ok()) std::abort();
  }
  const GpuCacheStats end = (*cache)->Stats();
  return double(end.hits - at_warm.hits) /
         double(end.lookups - at_warm.lookups);
}

int Run(const Args& a) {
  nlohmann::json results = nlohmann::json::array();
  for (double alpha : Doubles(a.alphas)) {
    for (double fraction : Doubles(a.capacities)) {
      const uint64_t capacity = std::max<uint64_t>(8, fraction * a.rows);
      const size_t warm = a.warm_capacities * capacity / a.batch * a.batch;
      std::vector<int64_t> keys(warm + a.measure_capacities * capacity /
                                           a.batch * a.batch);
      KeyStream stream(a.rows, alpha, 0x5eed);
      for (int64_t& k : keys) k = stream.Next();
      const double cache = CacheHitRate(keys, capacity, warm, a.batch);
      const double lru = LruHitRate(keys, a.rows, capacity, warm);
      const double oracle = OracleHitRate(stream, keys, capacity, warm);
      results.push_back({{"alpha", alpha},
                         {"capacity_fraction", fraction},
                         {"gpu_cache_hit_rate", cache},
                         {"lru_hit_rate", lru},
                         {"oracle_hit_rate", oracle},
                         {"vs_oracle", cache / oracle}});
      if (!a.json) {
        std::printf(
            "alpha %.2f capacity %.0f%% (%llu rows): gpu_cache %.4f  lru "
            "%.4f  oracle %.4f  (%.3fx oracle, %.3fx lru)\n",
            alpha, fraction * 100, static_cast<unsigned long long>(capacity),
            cache, lru, oracle, cache / oracle, cache / lru);
      }
    }
  }
  if (a.json) std::printf("%s\n", results.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  strata::Args a;
  CLI::App app("GPU cache policy hit rate vs LRU and the oracle");
  app.add_option("--rows", a.rows, "rows in the table (keys 0..rows-1)");
  app.add_option("--capacities", a.capacities,
                 "cache capacities as fractions of rows, comma-separated");
  app.add_option("--alphas", a.alphas, "Zipf alphas, comma-separated");
  app.add_option("--batch", a.batch, "keys per batch");
  app.add_option("--warm-capacities", a.warm_capacities,
                 "keys streamed before counting, in capacities");
  app.add_option("--measure-capacities", a.measure_capacities,
                 "keys counted, in capacities");
  app.add_flag("--json", a.json, "print one JSON array");
  CLI11_PARSE(app, argc, argv);
  if (a.rows == 0 || a.batch == 0) {
    std::fprintf(stderr, "rows and batch must be positive\n");
    return 2;
  }
  return strata::Run(a);
}
