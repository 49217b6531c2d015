// update_bench: online updates end to end, in one process. Prints
//  - raw RocksDB WriteBatch rows/s (same rows, same batch size, same DB),
//  - rows/s produced -> applied -> visible in lookups, through librdkafka's
//    mock cluster over TCP, UpdatePublisher, KafkaSource and Applier,
//  - produce-to-visible latency p50/p99 of single-row probes,
// all while a lookup load thread reads the table through its tier chain.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "client/update_publisher.h"
#include "engine/store/key_codec.h"
#include "engine/update/kafka_source.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "tests/unit/update_test_util.h"

namespace strata::testing {
namespace {

using Clock = std::chrono::steady_clock;
double Secs(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct Args {
  int rows = 100000;     // rows of the table (and key range of updates)
  int updates = 200000;  // rows published in the throughput phase
  int batch = 1000;      // rows per message / per raw WriteBatch
  int probes = 200;      // single-row latency probes
  int partitions = 4;
  uint32_t dim = 64;
  bool json = false;
};

double RawWriteBatch(UpdateModel& m, const Args& a,
                     const std::vector<int64_t>& keys,
                     const std::vector<float>& values, uint32_t dim) {
  if (!m.store->rocksdb()->CreateTable("bench-raw").ok()) std::abort();
  rocksdb::ColumnFamilyHandle* cf =
      m.store->rocksdb()->FindColumnFamily("bench-raw");
  const Clock::time_point t0 = Clock::now();
  char k[kEncodedKeySize];
  for (int start = 0; start < a.updates; start += a.batch) {
    rocksdb::WriteBatch wb;
    for (int r = start; r < std::min(a.updates, start + a.batch); ++r) {
      EncodeKey(keys[r], k);
      wb.Put(cf, rocksdb::Slice(k, kEncodedKeySize),
             rocksdb::Slice(
                 reinterpret_cast<const char*>(&values[size_t(r) * dim]),
                 dim * sizeof(float)))
          .PermitUncheckedError();
    }
    if (!m.store->rocksdb()->db()->Write(rocksdb::WriteOptions(), &wb).ok())
      std::abort();
  }
  return a.updates / Secs(Clock::now() - t0);
}

int Run(const Args& a) {
  UpdateModel m(a.rows, 64ull << 20, a.dim);
  const uint32_t dim = a.dim;
  const TierChain* chain = m.registry->Find("m")->FindTable("t")->chain.get();
  std::mt19937_64 rng(1);
  std::vector<int64_t> keys(a.updates);
  std::vector<float> values(size_t(a.updates) * dim);
  for (int i = 0; i < a.updates; ++i) {
    keys[i] = static_cast<int64_t>(rng() % a.rows);
    std::fill_n(&values[size_t(i) * dim], dim, 1e6f + i);
  }
  // The lookup load runs through both measurements.
  // Lookup load: 256 random keys at a time until told to stop.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> looked_up{0};
  std::thread load([&] {
    std::mt19937_64 r(2);
    std::vector<int64_t> k(256);
    std::vector<float> v(256 * dim);
    std::vector<size_t> d;
    while (!stop) {
      for (auto& x : k) x = static_cast<int64_t>(r() % a.rows);
      d.clear();
      if (!chain->Lookup(k, absl::MakeSpan(v), &d).ok()) std::abort();
      looked_up += k.size();
    }
  });

  const double raw = RawWriteBatch(m, a, keys, values, dim);

  MockKafka kafka;
  kafka.CreateTopic("strata.m", a.partitions);
  Applier applier(m.store.get(), m.registry.get());
  KafkaSourceOptions ko;
  ko.brokers = kafka.bootstraps();
  ko.hps_topics = false;
  ko.poll_timeout_ms = 10;
  ko.rdkafka["log_level"] = "2";
  auto source = NewKafkaSource(ko, m.registry.get(), &applier).value();
  if (!source->Start().ok()) return 1;
  PublisherOptions po;
  po.brokers = kafka.bootstraps();
  po.max_rows_per_message = a.batch;
  po.shards = a.partitions * 4;
  po.rdkafka["linger.ms"] = "1";
  auto publisher = UpdatePublisher::Create(po).value();
  if (!WaitFor([&] {
        return source->stats().assigned_partitions == uint32_t(a.partitions);
      }))
    return 1;

  // Throughput: publish everything, wait until applied and visible. The
  // mock cluster keeps only 5 MiB per partition (librdkafka's mock log
  // limit) and deletes older messages, so the publisher stays at most
  // 2 MiB per partition ahead of the consumer; the consumer is the
  // bottleneck either way, so this does not slow the measured rate.
  const uint64_t window_rows =
      std::max<uint64_t>(a.batch, (2ull << 20) * a.partitions / (dim * 4));
  const Clock::time_point t0 = Clock::now();
  for (int start = 0; start < a.updates; start += a.batch) {
    const int n = std::min(a.batch, a.updates - start);
    while (uint64_t(start) > source->stats().applied_rows + window_rows) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!publisher
             ->Publish("m", "t", dim, absl::MakeConstSpan(&keys[start], n),
                       absl::MakeConstSpan(&values[size_t(start) * dim],
                                           size_t(n) * dim))
             .ok())
      return 1;
  }
  if (!publisher->Flush(120000).ok()) return 1;
  // Last write of the last key wins: look for its final value.
  const int64_t last_key = keys[a.updates - 1];
  const float last_value = values[size_t(a.updates - 1) * dim];
  std::vector<float> row(dim);
  std::vector<size_t> d;
  auto visible = [&](int64_t key, float value) {
    d.clear();
    return chain->Lookup({key}, absl::MakeSpan(row), &d).ok() &&
           row[0] == value;
  };
  if (!WaitFor(
          [&] {
            return source->stats().applied_rows >= uint64_t(a.updates) &&
                   visible(last_key, last_value);
          },
          120000)) {
    std::fprintf(stderr,
                 "update_bench: not visible after 120 s: %llu of %d rows "
                 "applied (%llu messages consumed, lag %llu); key %lld reads "
                 "%g, last written %g\n",
                 (unsigned long long)source->stats().applied_rows, a.updates,
                 (unsigned long long)source->stats().consumed_messages,
                 (unsigned long long)source->stats().lag, (long long)last_key,
                 row[0], last_value);
    return 1;
  }
  const double e2e = a.updates / Secs(Clock::now() - t0);

  // Latency: single-row probes on a key nobody else writes.
  std::vector<double> lat_ms;
  for (int p = 0; p < a.probes; ++p) {
    const int64_t key = a.rows + 1 + p;
    std::vector<float> v(dim, float(p) + 0.5f);
    const Clock::time_point s = Clock::now();
    if (!publisher->Publish("m", "t", dim, {key}, v).ok()) return 1;
    while (!visible(key, v[0])) {
      if (Clock::now() - s > std::chrono::seconds(30)) {
        std::fprintf(stderr,
                     "update_bench: probe %d (key %lld) not visible after "
                     "30 s; reads %g\n",
                     p, (long long)key, row[0]);
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    lat_ms.push_back(Secs(Clock::now() - s) * 1e3);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  load.join();
  source->Stop();
  if (source->stats().lost_messages != 0) {
    std::fprintf(stderr, "update_bench: %llu messages lost to retention\n",
                 (unsigned long long)source->stats().lost_messages);
    return 1;
  }
  std::sort(lat_ms.begin(), lat_ms.end());
  const double p50 = lat_ms[lat_ms.size() / 2];
  const double p99 =
      lat_ms[std::min(lat_ms.size() - 1, lat_ms.size() * 99 / 100)];
  if (a.json) {
    std::printf(
        "{\"rows\":%d,\"dim\":%u,\"updates\":%d,\"batch\":%d,\"partitions\":%d,"
        "\"raw_writebatch_rows_s\":%.0f,\"e2e_rows_s\":%.0f,\"ratio\":%.3f,"
        "\"latency_p50_ms\":%.2f,\"latency_p99_ms\":%.2f,\"lookup_keys\":%llu}"
        "\n",
        a.rows, dim, a.updates, a.batch, a.partitions, raw, e2e, e2e / raw, p50,
        p99, (unsigned long long)looked_up.load());
  } else {
    std::printf(
        "workload: table %d rows dim %u, %d updated rows (uniform keys) in "
        "messages of %d rows, %d partitions, 1 lookup thread (256 keys)\n",
        a.rows, dim, a.updates, a.batch, a.partitions);
    std::printf("raw RocksDB WriteBatch  %10.0f rows/s\n", raw);
    std::printf("Kafka -> visible        %10.0f rows/s  (%.2fx raw)\n", e2e,
                e2e / raw);
    std::printf(
        "produce -> visible      p50 %.2f ms  p99 %.2f ms  (%d probes)\n", p50,
        p99, a.probes);
  }
  return 0;
}

}  // namespace
}  // namespace strata::testing

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));  // stdout: data
  strata::testing::Args a;
  CLI::App app(
      "update_bench: Kafka updates end to end vs raw RocksDB WriteBatch");
  app.add_option("--rows", a.rows)->capture_default_str();
  app.add_option("--updates", a.updates)->capture_default_str();
  app.add_option("--batch", a.batch)->capture_default_str();
  app.add_option("--probes", a.probes)->capture_default_str();
  app.add_option("--partitions", a.partitions)->capture_default_str();
  app.add_option("--dim", a.dim)->capture_default_str();
  app.add_flag("--json", a.json);
  CLI11_PARSE(app, argc, argv);
  return strata::testing::Run(a);
}
