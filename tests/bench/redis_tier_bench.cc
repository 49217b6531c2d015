// RedisClusterTier lookup throughput next to a plain single-node Redis MGET
// of the same keys, in the same run (BENCHMARKS.md: ratios, not bare times).
//
// Starts its own cluster (--masters, --replicas) and standalone redis-server
// through the test fixture, or uses --cluster host:port / --single host:port.
// Loads --rows rows of --dim floats into both, then, --runs times, measures
// keys/s of RedisClusterTier::Lookup and of pipelined MGET over the same
// Zipf(--alpha) batches of --batch keys, with --threads threads each (one
// connection per node per thread for the cluster, one per thread for MGET).
// Prints each run, the medians and their ratio; --json prints one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/common/random.h"
#include "engine/store/key_codec.h"
#include "engine/store/redis/redis_cluster_tier.h"
#include "engine/store/redis/redis_connection.h"
#include "hiredis/hiredis.h"
#include "tests/integration/redis_cluster_fixture.h"

namespace strata {
namespace {

struct Flags {
  int64_t rows = 200000;
  uint32_t dim = 64;
  size_t batch = 1024;
  double alpha = 1.05;
  double seconds = 2.0;
  int runs = 5;
  int threads = 1;
  int masters = 3;
  int replicas = 0;
  uint32_t partitions = 32;
  uint64_t seed = 1;
  std::string cluster, single, password;
  bool json = false;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "redis_tier_bench: %s\n", what.c_str());
  std::exit(1);
}

Flags Parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--rows")
      f.rows = std::stoll(next());
    else if (a == "--dim")
      f.dim = std::stoul(next());
    else if (a == "--batch")
      f.batch = std::stoul(next());
    else if (a == "--alpha")
      f.alpha = std::stod(next());
    else if (a == "--seconds")
      f.seconds = std::stod(next());
    else if (a == "--runs")
      f.runs = std::stoi(next());
    else if (a == "--threads")
      f.threads = std::stoi(next());
    else if (a == "--masters")
      f.masters = std::stoi(next());
    else if (a == "--replicas")
      f.replicas = std::stoi(next());
    else if (a == "--partitions")
      f.partitions = std::stoul(next());
    else if (a == "--seed")
      f.seed = std::stoull(next());
    else if (a == "--cluster")
      f.cluster = next();
    else if (a == "--single")
      f.single = next();
    else if (a == "--password")
      f.password = next();
    else if (a == "--json")
      f.json = true;
    else
      Die("unknown flag " + a);
  }
  return f;
}

int64_t KeyOfRank(uint64_t rank) { return static_cast<int64_t>(Mix64(rank)); }

// Batches of keys whose ranks follow Zipf(alpha) over [0, rows).
std::vector<std::vector<int64_t>> MakeBatches(const Flags& f, size_t count) {
  std::vector<double> cdf(f.rows);
  double sum = 0;
  for (int64_t r = 0; r < f.rows; ++r) {
    sum += 1.0 / std::pow(static_cast<double>(r + 1), f.alpha);
    cdf[r] = sum;
  }
  std::mt19937_64 rng(f.seed);
  std::uniform_real_distribution<double> u(0, sum);
  std::vector<std::vector<int64_t>> batches(count);
  for (auto& b : batches) {
    for (size_t i = 0; i < f.batch; ++i) {
      const size_t r =
          std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin();
      b.push_back(KeyOfRank(std::min<size_t>(r, f.rows - 1)));
    }
  }
  return batches;
}

std::unique_ptr<RedisConnection> Open(const std::string& address,
                                      const std::string& password) {
  RedisConnectOptions o;
  o.password = password;
  o.read_timeout_ms = o.write_timeout_ms = 10000;
  auto c = RedisConnection::Open(address, o);
  if (!c.ok()) Die(c.status().ToString());
  return std::move(*c);
}

// Runs `body(thread, batch)` on f.threads threads for f.seconds; keys/s.
template <typename Body>
double Measure(const Flags& f, size_t batches, Body body) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> keys{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < f.threads; ++t) {
    threads.emplace_back([&, t] {
      uint64_t done = 0;
      for (size_t i = t; !stop.load(std::memory_order_relaxed); ++i) {
        done += body(t, i % batches);
      }
      keys += done;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(f.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return static_cast<double>(keys.load()) / s;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main(int argc, char** argv) {
  const Flags f = Parse(argc, argv);
  std::unique_ptr<testing::RedisClusterFixture> cluster;
  std::unique_ptr<testing::RedisProcess> single;
  std::string dir;
  std::vector<std::string> seeds = {f.cluster};
  std::string single_address = f.single;
  if (f.cluster.empty()) {
    testing::RedisClusterFixtureOptions o;
    o.masters = f.masters;
    o.replicas = f.replicas;
    o.password = f.password;
    auto c = testing::RedisClusterFixture::Start(o);
    if (!c.ok()) Die(c.status().ToString());
    cluster = std::move(*c);
    seeds = cluster->seeds();
  }
  if (f.single.empty()) {
    dir = testing::MakeTempDir("strata-redis-bench");
    auto s = testing::RedisProcess::Start(dir, {}, f.password);
    if (!s.ok()) Die(s.status().ToString());
    single = std::move(*s);
    single_address = single->address();
  }

  RedisClusterOptions co;
  co.seeds = seeds;
  co.password = f.password;
  co.io_timeout_ms = 2000;
  auto client = RedisClusterClient::Connect(co);
  if (!client.ok()) Die(client.status().ToString());
  RedisClusterTierOptions to;
  to.table_prefix = absl::StrCat("bench/", f.seed);
  to.partitions = f.partitions;
  to.capacity_bytes = static_cast<uint64_t>(f.rows) * (8 + 4 * f.dim) * 2;
  auto tier = NewRedisClusterTier(f.dim, std::move(*client), to);
  if (!tier.ok()) Die(tier.status().ToString());

  // Load both: rows of key k are k's low bits as floats.
  const size_t row_bytes = 4 * f.dim;
  auto base = Open(single_address, f.password);
  for (int64_t lo = 0; lo < f.rows; lo += 4096) {
    const int64_t hi = std::min<int64_t>(f.rows, lo + 4096);
    std::vector<int64_t> keys;
    std::vector<float> rows;
    for (int64_t r = lo; r < hi; ++r) {
      keys.push_back(KeyOfRank(r));
      rows.insert(rows.end(), f.dim, static_cast<float>(r));
    }
    if (!(*tier)->Upsert(keys, rows).ok()) Die("upsert failed");
    std::vector<char> enc(keys.size() * 8);
    std::vector<const char*> argv = {"MSET"};
    std::vector<size_t> len = {4};
    for (size_t i = 0; i < keys.size(); ++i) {
      EncodeKey(keys[i], &enc[i * 8]);
      argv.push_back(&enc[i * 8]);
      len.push_back(8);
      argv.push_back(reinterpret_cast<const char*>(&rows[i * f.dim]));
      len.push_back(row_bytes);
    }
    base->Append(static_cast<int>(argv.size()), argv.data(), len.data());
    if (!base->Flush().ok()) Die("MSET write failed");
    auto r = base->Read();
    if (!r.ok() || IsErrorReply(**r)) Die("MSET failed");
  }

  const size_t kBatches = 256;
  const std::vector<std::vector<int64_t>> batches = MakeBatches(f, kBatches);
  std::vector<std::unique_ptr<RedisConnection>> conns;
  for (int t = 0; t < f.threads; ++t) {
    conns.push_back(Open(single_address, f.password));
  }
  std::atomic<uint64_t> tier_hits{0}, mget_hits{0};
  auto tier_body = [&](int, size_t b) -> uint64_t {
    const std::vector<int64_t>& keys = batches[b];
    std::vector<float> values(keys.size() * f.dim);
    std::vector<size_t> missing;
    if (!(*tier)->Lookup(keys, absl::MakeSpan(values), &missing).ok()) {
      Die("lookup failed");
    }
    tier_hits.fetch_add(keys.size() - missing.size(),
                        std::memory_order_relaxed);
    return keys.size();
  };
  auto mget_body = [&](int t, size_t b) -> uint64_t {
    const std::vector<int64_t>& keys = batches[b];
    std::vector<char> enc(keys.size() * 8);
    std::vector<const char*> argv = {"MGET"};
    std::vector<size_t> len = {4};
    for (size_t i = 0; i < keys.size(); ++i) {
      EncodeKey(keys[i], &enc[i * 8]);
      argv.push_back(&enc[i * 8]);
      len.push_back(8);
    }
    RedisConnection& c = *conns[t];
    c.Append(static_cast<int>(argv.size()), argv.data(), len.data());
    if (!c.Flush().ok()) Die("MGET write failed");
    auto r = c.Read();
    if (!r.ok() || (*r)->type != REDIS_REPLY_ARRAY) Die("MGET failed");
    std::vector<float> values(keys.size() * f.dim);
    uint64_t hits = 0;
    for (size_t i = 0; i < (*r)->elements; ++i) {
      const redisReply* e = (*r)->element[i];
      if (e->type != REDIS_REPLY_STRING || e->len != row_bytes) continue;
      std::memcpy(&values[i * f.dim], e->str, row_bytes);
      ++hits;
    }
    mget_hits.fetch_add(hits, std::memory_order_relaxed);
    return keys.size();
  };

  std::printf(
      "workload: rows %lld dim %u batch %zu zipf alpha %.2f threads %d "
      "partitions %u cluster %zu nodes (%d masters, %d replicas each), "
      "connections: cluster %d per master, MGET %d\n",
      static_cast<long long>(f.rows), f.dim, f.batch, f.alpha, f.threads,
      f.partitions, seeds.size(), f.masters, f.replicas, f.threads, f.threads);
  std::vector<double> tier_rate, mget_rate, ratio;
  Measure(f, kBatches, tier_body);  // warm up connections and caches
  for (int run = 0; run < f.runs; ++run) {
    const double t = Measure(f, kBatches, tier_body);
    const double m = Measure(f, kBatches, mget_body);
    tier_rate.push_back(t);
    mget_rate.push_back(m);
    ratio.push_back(t / m);
    std::printf(
        "run %d: redis cluster tier %.0f keys/s, single-node MGET %.0f "
        "keys/s, ratio %.3f\n",
        run, t, m, t / m);
  }
  const uint64_t th = tier_hits.load(), mh = mget_hits.load();
  std::printf(
      "median: redis cluster tier %.0f keys/s, single-node MGET %.0f "
      "keys/s, median ratio %.3f (target >= 0.8); hits tier %llu "
      "MGET %llu\n",
      Median(tier_rate), Median(mget_rate), Median(ratio),
      static_cast<unsigned long long>(th), static_cast<unsigned long long>(mh));
  if (f.json) {
    std::printf(
        "{\"rows\":%lld,\"dim\":%u,\"batch\":%zu,\"alpha\":%.2f,"
        "\"threads\":%d,\"partitions\":%u,\"tier_keys_per_s\":%.0f,"
        "\"mget_keys_per_s\":%.0f,\"ratio\":%.3f}\n",
        static_cast<long long>(f.rows), f.dim, f.batch, f.alpha, f.threads,
        f.partitions, Median(tier_rate), Median(mget_rate), Median(ratio));
  }
  tier->reset();
  single.reset();
  cluster.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) { return strata::Main(argc, argv); }
