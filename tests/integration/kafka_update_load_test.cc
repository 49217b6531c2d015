// Every row of a table rewritten over Kafka while lookups run, through real
// processes: librdkafka's mock cluster in this process, strata-server as a
// child. Updates invalidate hash-map rows under lookup load, which shrinks
// and regrows the map across slab boundaries (issue 9: this corrupted the
// heap). The server must survive and every row must end at its newest value,
// first over protobuf UpdateBatch topics, then over HugeCTR "HCTR" topics.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "client/strata_client.h"
#include "client/update_publisher.h"
#include "engine/common/random.h"
#include "tests/integration/subprocess.h"
#include "tests/unit/update_test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
constexpr int kRows = 40000;
constexpr uint32_t kDim = 64;
constexpr int kRowsPerMessage = 200;

// The row every key has after round `round`: the imported {k, k, ...} in
// round 0, then cell j of key k is round * 1000 + (k + j) % 997.
void FillRow(int64_t key, int round, float* row) {
  for (uint32_t j = 0; j < kDim; ++j) {
    if (round == 0) {
      row[j] = static_cast<float>(key);
      continue;
    }
    row[j] = static_cast<float>(round * 1000 + (key + j) % 997);
  }
}

// Rows the server has applied from every source since it started.
uint64_t AppliedRows(StrataClient& client) {
  auto stats = client.GetStats();
  return stats.ok() ? stats->updates().applied_rows() : 0;
}

// Publishes every row of table t at `round`, at most kWindowRows ahead of
// what the server has applied: the mock cluster keeps only ~5 MiB per
// partition, so a consumer slowed by a busy machine must not be left more
// than that behind (the messages would be deleted before it reads them).
// `*published` counts the rows of the whole test.
void PublishAll(UpdatePublisher& publisher, StrataClient& client, int round,
                uint64_t* published) {
  constexpr uint64_t kWindowRows = 8000;  // ~2 MiB of rows, over 2+ partitions
  std::vector<int64_t> keys(kRowsPerMessage);
  std::vector<float> values(kRowsPerMessage * kDim);
  for (int first = 0; first < kRows; first += kRowsPerMessage) {
    for (int i = 0; i < kRowsPerMessage; ++i) {
      keys[i] = first + i;
      FillRow(keys[i], round, &values[i * kDim]);
    }
    REQUIRE(publisher.Publish("m", "t", kDim, keys, values).ok());
    *published += kRowsPerMessage;
    if (*published % kWindowRows == 0) {
      REQUIRE(publisher.Flush(60000).ok());
      const uint64_t behind_ok = *published - kWindowRows;
      REQUIRE(
          WaitFor([&] { return AppliedRows(client) >= behind_ok; }, 120000));
    }
  }
  REQUIRE(publisher.Flush(60000).ok());
}

// How many rows of table t are not yet at `round` (or -1 on an RPC error).
int RowsBehind(StrataClient& client, int round) {
  constexpr int kBatch = 4000;
  int behind = 0;
  std::vector<float> want(kDim), got(kDim);
  for (int first = 0; first < kRows; first += kBatch) {
    v1::LookupRequest r;
    r.set_model("m");
    v1::TableKeys* t = r.add_tables();
    t->set_table("t");
    for (int k = first; k < first + kBatch; ++k) t->add_keys(k);
    auto reply = client.Lookup(r);
    if (!reply.ok()) return -1;
    for (int i = 0; i < kBatch; ++i) {
      CopyRow(reply->tables(0), i, got.data());
      FillRow(first + i, round, want.data());
      if (got != want) ++behind;
    }
  }
  return behind;
}

// Looks random keys up, 256 at a time, until stopped; counts failed calls.
class LookupLoad {
 public:
  explicit LookupLoad(const std::string& target)
      : client_({target, 10000}), thread_([this] { Run(); }) {}
  ~LookupLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t calls() const { return calls_; }
  uint64_t failures() const { return failures_; }

 private:
  void Run() {
    uint64_t seed = 1;
    while (!stop_) {
      v1::LookupRequest r;
      r.set_model("m");
      v1::TableKeys* t = r.add_tables();
      t->set_table("t");
      for (int i = 0; i < 256; ++i) t->add_keys(Mix64(seed++) % kRows);
      if (!client_.Lookup(r).ok()) ++failures_;
      ++calls_;
    }
  }
  StrataClient client_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> calls_{0}, failures_{0};
  std::thread thread_;
};

std::unique_ptr<UpdatePublisher> Publisher(const MockKafka& kafka, bool hctr) {
  PublisherOptions o;
  o.brokers = kafka.bootstraps();
  o.hctr = hctr;
  o.max_rows_per_message = kRowsPerMessage;
  o.rdkafka["linger.ms"] = "5";
  return UpdatePublisher::Create(o).value();
}

}  // namespace

TEST_CASE("every row updated over Kafka under lookup load ends at its newest",
          "[kafka]") {
  UpdateModel m(kRows, 1 << 20, kDim);
  m.Close();
  MockKafka kafka;
  kafka.CreateTopic("strata.m", 3);
  kafka.CreateTopic("hps_et.m.t", 2);
  // Rows are read into the hash map (a cache of the whole table) by the load,
  // then invalidated by every update.
  ServerProcess server(
      kServer,
      {"--data-dir", m.data_dir, "--kafka-brokers", kafka.bootstraps(),
       "--kafka-metadata-refresh-ms", "200"},
      m.dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient client({server.target(), 30000});
  REQUIRE(RowsBehind(client, 0) == 0);  // the imported rows (round 0)

  LookupLoad load(server.target());
  // Protobuf UpdateBatch, each row once.
  uint64_t published = 0;
  PublishAll(*Publisher(kafka, false), client, 1, &published);
  REQUIRE(WaitFor([&] { return RowsBehind(client, 1) == 0; }, 120000));
  // HugeCTR messages, each row twice: the second round wins.
  auto hctr = Publisher(kafka, true);
  PublishAll(*hctr, client, 2, &published);
  PublishAll(*hctr, client, 3, &published);
  REQUIRE(WaitFor([&] { return RowsBehind(client, 3) == 0; }, 120000));
  auto stats = client.GetStats();
  REQUIRE(stats.ok());
  CHECK(stats->updates().lost_messages() == 0);
  CHECK(stats->updates().applied_rows() == published);
  load.Stop();
  CHECK(load.calls() > 0);
  CHECK(load.failures() == 0);
  REQUIRE(server.running());
  CHECK(server.Stop() == 0);
}

}  // namespace strata::testing
