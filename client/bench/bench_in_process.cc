#include "client/bench/bench_in_process.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/bench/bench_phase.h"
#include "client/bench/hit_rate_baselines.h"
#include "engine/builder/engine.h"
#include "engine/builder/offline.h"
#include "engine/common/key_stream.h"
#include "engine/common/random.h"
#include "engine/common/worker_pool.h"
#include "nlohmann/json.hpp"

namespace strata {

void AddInProcessBenchFlags(CLI::App* app, InProcessBenchOptions* o) {
  app->add_option("--tier", o->tier, "tier under test (hash_map)");
  app->add_option("--work-dir", o->work_dir,
                  "where the table's data dir is built (removed after; "
                  "default $TMPDIR)");
  app->add_option("--rows", o->rows, "rows in the table (keys 0..rows-1)");
  app->add_option("--dim", o->dim, "floats per row");
  app->add_option("--batch", o->batch, "keys per lookup");
  app->add_option("--zipf", o->zipf, "Zipf alpha of key ranks (0 = uniform)");
  app->add_option("--threads", o->threads, "lookup threads");
  app->add_option("--duration", o->duration_s, "seconds per measured phase");
  app->add_option("--capacity-fraction", o->capacity_fraction,
                  "tier-1 capacity as a fraction of rows (1 = all resident)");
  app->add_option("--policy", o->policy,
                  "eviction policy: frequency, lfu, lru, random");
  app->add_option("--value-dtype", o->value_dtype, "fp32 or fp16");
  app->add_option("--partitions", o->partitions, "hash map partitions");
  app->add_option("--seed", o->seed, "key stream seed");
  app->add_option("--warm-capacities", o->warm_capacities,
                  "hit-rate pass: keys streamed before counting, in "
                  "multiples of the capacity");
  app->add_flag("--baselines", o->baselines,
                "also measure ideal gather, std::unordered_map, LRU, oracle");
  app->add_flag("--json", o->json, "print one JSON object");
}

namespace {

using Clock = std::chrono::steady_clock;

// Keys each thread cycles through: generated once, before timing.
constexpr uint64_t kStreamKeys = uint64_t{1} << 22;

float ValueOf(int64_t key, uint32_t j) {
  return UnitFloat(Mix64(static_cast<uint64_t>(key) * 1021 + j));
}

uint64_t ResidentBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<uint64_t>(resident) * 4096;
}

// Writes one table "t0" of `rows` x `dim` (keys 0..rows-1) in HugeCTR's
// format under `work` and imports it as model "bench" into `work`/data.
absl::Status PrepareDataDir(const std::string& work, uint64_t rows,
                            uint32_t dim, bool quiet) {
  GeneratorOptions g;
  g.tables = 1;
  g.rows = rows;
  g.dim = dim;
  const std::string hugectr = work + "/hugectr";
  if (!quiet) {
    std::fprintf(stderr, "bench: writing and importing %llu rows x %u ...\n",
                 static_cast<unsigned long long>(rows), dim);
  }
  absl::StatusOr<std::vector<TableSpec>> written =
      GenerateHugeCtrModel(hugectr, g);
  if (!written.ok()) return written.status();
  absl::StatusOr<ModelManifest> imported = ImportHugeCtrIntoDataDir(
      work + "/data", "bench", hugectr, ImportOptions());
  if (!imported.ok()) return imported.status();
  std::error_code ec;
  std::filesystem::remove_all(hugectr, ec);
  return absl::OkStatus();
}

// One batch as a batcher job: the caller waits for Finish.
class BenchJob final : public LookupJob {
 public:
  BenchJob(const TierChain* chain, absl::Span<const int64_t> keys,
           absl::Span<float> values) {
    tables_.push_back(TableLookup{chain, keys, values, {}});
  }
  std::vector<TableLookup>& tables() override { return tables_; }
  std::chrono::system_clock::time_point deadline() const override {
    return std::chrono::system_clock::time_point::max();
  }
  void Finish(absl::Status status) override { done_.set_value(status); }
  std::future<absl::Status> done() { return done_.get_future(); }

 private:
  std::vector<TableLookup> tables_;
  std::promise<absl::Status> done_;
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int RunInProcessBench(const InProcessBenchOptions& o) {
  if (o.tier != "hash_map") return Fail("--tier must be hash_map");
  if (o.rows == 0 || o.rows > (uint64_t{1} << 32) || o.dim == 0 ||
      o.batch == 0 || o.batch > kStreamKeys || o.threads == 0 ||
      o.duration_s <= 0 || o.capacity_fraction <= 0 || o.zipf < 0) {
    return Fail(
        "rows, dim, batch, threads, duration, capacity-fraction "
        "must be positive (rows <= 2^32), zipf >= 0");
  }
  const bool bounded = o.capacity_fraction < 1;
  const uint64_t value_bytes =
      uint64_t{o.dim} * (o.value_dtype == "fp16" ? 2 : 4);
  const uint64_t raw_row_bytes = 8 + uint64_t{o.dim} * 4;
  const uint64_t capacity_rows =
      bounded ? std::max<uint64_t>(1, o.capacity_fraction * o.rows) : o.rows;

  // Key streams first, so their memory is not counted as the tier's.
  std::vector<std::vector<int64_t>> streams(o.threads);
  const size_t stream_keys = kStreamKeys / o.batch * o.batch;
  for (uint32_t t = 0; t < o.threads; ++t) {
    KeyStream stream(o.rows, o.zipf, o.seed + t);
    streams[t].resize(stream_keys);
    for (int64_t& k : streams[t]) k = stream.Next();
  }

  // The table lives in a real data dir, served by the engine the server
  // runs: hash map (capacity from --capacity-fraction) over RocksDB.
  std::string work = o.work_dir;
  if (work.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/strata-bench-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr)
      return Fail("cannot make a temp dir");
    work = pattern;
  } else {
    work = absl::StrCat(work, "/strata-bench-", getpid());
  }
  absl::Cleanup remove_work = [&work] {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  };
  if (absl::Status s = PrepareDataDir(work, o.rows, o.dim, o.json); !s.ok()) {
    return Fail(s.ToString());
  }
  EngineOptions engine_options;
  engine_options.data_dir = work + "/data";
  engine_options.store.block_cache_bytes = 8 << 20;  // rows live in tier 1
  engine_options.registry.hash_map_capacity_bytes =
      bounded ? capacity_rows * (8 + value_bytes) : uint64_t{1} << 62;
  engine_options.registry.hash_map.policy = o.policy;
  engine_options.registry.hash_map.value_dtype = o.value_dtype;
  engine_options.registry.hash_map_partitions = o.partitions;
  engine_options.batcher.workers = o.threads;
  engine_options.gpu.backend = "off";  // this bench measures the host chain
  const uint64_t rss_before = ResidentBytes();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Open(engine_options);
  if (!engine.ok()) return Fail(engine.status().ToString());
  const TierChain* chain =
      (*engine)->registry()->Find("bench")->FindTable("t0")->chain.get();
  const Tier* tier = chain->tiers().front().get();
  Batcher* batcher = (*engine)->batcher();
  // The chain as a batcher worker calls it, with a fill pool of its own.
  WorkerPool fill_pool(2, 1024);
  ChainLookupOptions lookup_options;
  lookup_options.hit_rate_threshold = engine_options.batcher.hit_rate_threshold;
  lookup_options.background = &fill_pool;

  std::vector<std::vector<float>> out(
      o.threads, std::vector<float>(size_t{o.batch} * o.dim));
  std::vector<std::vector<size_t>> defaulted(o.threads);
  std::atomic<bool> failed{false};
  auto chain_lookup = [&](uint32_t t, absl::Span<const int64_t> keys) {
    defaulted[t].clear();
    if (!chain
             ->Lookup(keys, absl::MakeSpan(out[t]).first(keys.size() * o.dim),
                      &defaulted[t], lookup_options)
             .ok() ||
        !defaulted[t].empty()) {
      failed = true;
    }
  };
  // The call a batch worker makes: LookupParts, here with one part.
  auto parts_lookup = [&](uint32_t t, absl::Span<const int64_t> keys) {
    defaulted[t].clear();
    ChainPart part{keys, absl::MakeSpan(out[t]).first(keys.size() * o.dim),
                   &defaulted[t]};
    if (!chain->LookupParts({&part, 1}, lookup_options).ok() ||
        !defaulted[t].empty()) {
      failed = true;
    }
  };
  auto batcher_lookup = [&](uint32_t t, absl::Span<const int64_t> keys) {
    auto job = std::make_unique<BenchJob>(
        chain, keys, absl::MakeSpan(out[t]).first(keys.size() * o.dim));
    std::future<absl::Status> done = job->done();
    std::unique_ptr<LookupJob> submitted = std::move(job);
    if (!batcher->Submit(submitted).ok() || !done.get().ok()) failed = true;
  };
  if (!bounded) {
    // Every row into tier 1 (a first pass misses all, so it fills inline).
    std::vector<int64_t> keys;
    for (uint64_t first = 0; first < o.rows; first += o.batch) {
      keys.clear();
      for (uint64_t k = first; k < std::min<uint64_t>(o.rows, first + o.batch);
           ++k) {
        keys.push_back(static_cast<int64_t>(k));
      }
      chain_lookup(0, keys);
    }
  }
  const uint64_t rss_tier = ResidentBytes() - rss_before;
  auto tier_lookup = chain_lookup;

  // Hit rate: one thread streams fresh (never repeated) keys through the
  // cache: --warm-capacities x capacity to warm it, then kMeasureTimes x
  // capacity counted. The LRU and oracle baselines replay exactly these keys.
  // (The timed phase cycles through a fixed buffer, which a frequency policy
  // could learn; its hit rate is reported apart, as timed_hit_rate.)
  const uint64_t kWarmTimes = o.warm_capacities, kMeasureTimes = 40;
  std::vector<int64_t> hit_keys;
  size_t hit_warm = 0;
  double hit_rate = 1;
  if (bounded) {
    hit_warm = std::min<uint64_t>(kWarmTimes * capacity_rows, 1 << 26) /
               o.batch * o.batch;
    hit_keys.resize(hit_warm +
                    std::min<uint64_t>(kMeasureTimes * capacity_rows, 1 << 27) /
                        o.batch * o.batch);
    KeyStream stream(o.rows, o.zipf, o.seed + 0x5eed);
    for (int64_t& k : hit_keys) k = stream.Next();
    TierStats warm_stats;
    for (size_t pos = 0; pos + o.batch <= hit_keys.size(); pos += o.batch) {
      if (pos == hit_warm) warm_stats = tier->Stats();
      tier_lookup(0, absl::MakeConstSpan(&hit_keys[pos], o.batch));
    }
    const TierStats end = tier->Stats();
    hit_rate = double(end.hits - warm_stats.hits) /
               double(end.lookups - warm_stats.lookups);
  }
  // Baseline subjects, built before any timing.
  std::vector<float> dense;
  std::unordered_map<int64_t, std::vector<float>> map;
  std::vector<std::pair<std::string, LookupFn>> subjects = {
      {o.tier, tier_lookup},
      {"batcher", batcher_lookup},
      {"chain_parts", parts_lookup}};
  if (o.baselines) {
    // Ideal gather: the same keys, rows copied by index from one array.
    dense.resize(o.rows * o.dim);
    for (uint64_t k = 0; k < o.rows; ++k) {
      for (uint32_t d = 0; d < o.dim; ++d) dense[k * o.dim + d] = ValueOf(k, d);
    }
    subjects.emplace_back(
        "ideal_gather", [&](uint32_t t, absl::Span<const int64_t> keys) {
          float* dst = out[t].data();
          for (size_t i = 0; i < keys.size(); ++i) {
            std::memcpy(dst + i * o.dim, &dense[keys[i] * o.dim],
                        sizeof(float) * o.dim);
          }
        });
    // std::unordered_map of vectors, looked up and copied.
    map.reserve(o.rows);
    for (uint64_t k = 0; k < o.rows; ++k) {
      std::vector<float>& row = map[static_cast<int64_t>(k)];
      row.resize(o.dim);
      for (uint32_t d = 0; d < o.dim; ++d) row[d] = ValueOf(k, d);
    }
    subjects.emplace_back("unordered_map",
                          [&](uint32_t t, absl::Span<const int64_t> keys) {
                            float* dst = out[t].data();
                            for (size_t i = 0; i < keys.size(); ++i) {
                              auto it = map.find(keys[i]);
                              if (it != map.end()) {
                                std::memcpy(dst + i * o.dim, it->second.data(),
                                            sizeof(float) * o.dim);
                              }
                            }
                          });
  }
  constexpr int kRounds = 5;
  std::vector<Phase> phases(subjects.size());
  std::vector<std::vector<size_t>> cursors(subjects.size(),
                                           std::vector<size_t>(o.threads, 0));
  const TierStats before = tier->Stats();
  for (int round = 0; round < kRounds; ++round) {
    for (size_t i = 0; i < subjects.size(); ++i) {
      RunPhase(streams, o.batch, o.duration_s / kRounds, subjects[i].second,
               &cursors[i], &phases[i]);
    }
  }
  const TierStats after = tier->Stats();
  if (failed) return Fail("tier lookup failed");
  Phase& hm = phases[0];
  const double timed_hit_rate =
      double(after.hits - before.hits) / double(after.lookups - before.lookups);
  const double bytes_per_row =
      after.rows ? double(after.bytes) / after.rows : 0;
  const double rss_per_row =
      bounded ? 0
              : double(rss_tier) / double(std::max<uint64_t>(after.rows, 1));

  nlohmann::json j;
  j["workload"] = {{"tier", o.tier},
                   {"rows", o.rows},
                   {"dim", o.dim},
                   {"batch", o.batch},
                   {"zipf", o.zipf},
                   {"threads", o.threads},
                   {"duration_s", o.duration_s},
                   {"capacity_fraction", o.capacity_fraction},
                   {"capacity_rows", capacity_rows},
                   {"policy", o.policy},
                   {"value_dtype", o.value_dtype},
                   {"partitions", o.partitions},
                   {"seed", o.seed}};
  j["keys_per_s"] = hm.keys_per_s();
  j["batcher_keys_per_s"] = phases[1].keys_per_s();
  j["chain_parts_keys_per_s"] = phases[2].keys_per_s();
  j["p50_us"] = hm.Percentile_us(0.50);
  j["p99_us"] = hm.Percentile_us(0.99);
  j["hit_rate"] = hit_rate;
  j["timed_hit_rate"] = timed_hit_rate;
  j["bytes_per_row"] = bytes_per_row;
  j["rss_bytes_per_row"] = rss_per_row;
  j["raw_bytes_per_row"] = raw_row_bytes;

  if (o.baselines) {
    nlohmann::json b;
    b["ideal_gather_keys_per_s"] = phases[3].keys_per_s();
    b["unordered_map_keys_per_s"] = phases[4].keys_per_s();
    const KeyStream stream(o.rows, o.zipf, o.seed);
    b["lru_hit_rate"] =
        bounded ? LruHitRate(hit_keys, o.rows, capacity_rows, hit_warm) : 1.0;
    b["oracle_hit_rate"] =
        bounded ? OracleHitRate(stream, hit_keys, capacity_rows, hit_warm)
                : 1.0;
    j["baselines"] = b;
  }

  if (o.json) {
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf(
      "workload: tier=%s rows=%lu dim=%u batch=%u zipf=%g threads=%u "
      "duration=%gs capacity_fraction=%g (%lu rows) policy=%s value_dtype=%s "
      "partitions=%u seed=%lu\n",
      o.tier.c_str(), o.rows, o.dim, o.batch, o.zipf, o.threads, o.duration_s,
      o.capacity_fraction, capacity_rows, o.policy.c_str(),
      o.value_dtype.c_str(), o.partitions, o.seed);
  std::printf(
      "%s: %.3f M keys/s  p50 %.1f us  p99 %.1f us  hit rate %.4f  "
      "(timed phase %.4f)  bytes/row %.1f (raw %lu, %.3fx; rss %.1f)\n",
      o.tier.c_str(), hm.keys_per_s() / 1e6, j["p50_us"].get<double>(),
      j["p99_us"].get<double>(), hit_rate, timed_hit_rate, bytes_per_row,
      raw_row_bytes, bytes_per_row / raw_row_bytes, rss_per_row);
  std::printf("batcher: %.3f M keys/s (%.3fx the chain called directly)\n",
              phases[1].keys_per_s() / 1e6,
              phases[1].keys_per_s() / std::max(1.0, hm.keys_per_s()));
  std::printf(
      "chain LookupParts (a worker's call, one part): %.3f M keys/s "
      "(%.3fx)\n",
      phases[2].keys_per_s() / 1e6,
      phases[2].keys_per_s() / std::max(1.0, hm.keys_per_s()));
  if (o.baselines) {
    const nlohmann::json& b = j["baselines"];
    const double gather = b["ideal_gather_keys_per_s"];
    const double umap = b["unordered_map_keys_per_s"];
    const double lru = b["lru_hit_rate"], oracle = b["oracle_hit_rate"];
    std::printf(
        "baselines: ideal gather %.3f M keys/s (%s %.3fx)  unordered_map "
        "%.3f M keys/s (%.3fx)\n",
        gather / 1e6, o.tier.c_str(), hm.keys_per_s() / gather, umap / 1e6,
        hm.keys_per_s() / umap);
    std::printf(
        "hit rates: %s %.4f  lru %.4f  oracle %.4f  (%.3fx oracle; misses "
        "%.3fx lru's)\n",
        o.tier.c_str(), hit_rate, lru, oracle, hit_rate / oracle,
        (1 - hit_rate) / std::max(1e-12, 1 - lru));
  }
  return 0;
}

}  // namespace strata
