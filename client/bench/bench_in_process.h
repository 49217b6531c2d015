// `strata bench --in-process`: imports one table of --rows x --dim into a
// temporary data dir, opens it with the engine the server runs (Engine::Open:
// hash map of --capacity-fraction of the rows over RocksDB), drives it with
// the key stream of shared/BENCHMARKS.md (KeyStream) from several threads for
// a fixed time, and prints keys/s, batch latency, tier-1 hit rate and bytes
// per row next to the workload. The main subject calls the table's TierChain
// (TierChain::Lookup); "chain_parts" makes the call a batch worker makes
// (LookupParts, one part); "batcher" submits each batch as a job to the
// engine's Batcher and waits for it, hand-offs included. Misses read through to
// RocksDB and fill tier 1, so the hit rate is that of the real cache.
// --baselines adds, in the same run and on the same keys: an ideal gather (rows
// copied by index out of one dense array), a std::unordered_map lookup, and the
// hit rates of an exact LRU and of the static top-k oracle of the same
// capacity.
//
// Thread safety: RunInProcessBench() owns everything it creates; call it
// from one thread at a time.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace strata {

struct InProcessBenchOptions {
  std::string tier = "hash_map";  // the tier under test; only "hash_map" now
  std::string work_dir;           // parent of the temp data dir ("" = $TMPDIR)
  uint64_t rows = 1000000;        // keys 0..rows-1
  uint32_t dim = 128;             // floats per row
  uint32_t batch = 1024;          // keys per lookup
  double zipf = 1.05;             // Zipf alpha of key ranks; 0 = uniform
  uint32_t threads = 1;           // threads doing lookups
  double duration_s = 3;          // seconds per measured phase
  double capacity_fraction = 1;   // tier-1 capacity as a fraction of rows
  std::string policy = "frequency";  // HashMapTierOptions::policy
  std::string value_dtype = "fp32";  // HashMapTierOptions::value_dtype
  uint32_t partitions = 16;          // HashMapTierOptions::partitions
  uint64_t seed = 1;                 // key stream seed (thread t uses seed + t)
  uint64_t warm_capacities = 20;     // hit-rate warm-up, in capacities of keys
  bool baselines = false;            // also measure the baselines
  bool json = false;                 // print one JSON object instead of text
};

// Registers the flags above on `app` (usually the `bench` subcommand).
void AddInProcessBenchFlags(CLI::App* app, InProcessBenchOptions* options);

// Runs the benchmark and prints its results; returns a process exit code.
int RunInProcessBench(const InProcessBenchOptions& options);

}  // namespace strata
