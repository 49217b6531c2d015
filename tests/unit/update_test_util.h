// Helpers for the update tests: a data dir with one small model, and
// librdkafka's mock Kafka cluster (in process, reachable over TCP on
// loopback) with a producer that writes to exact partitions.
//
// Ownership: each helper owns what it creates. Thread safety: MockKafka's
// methods may be called from any one thread at a time.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/model/model_registry.h"
#include "engine/model/model_store.h"
#include "tests/unit/test_util.h"

namespace strata::testing {

// Model "m", table "t" (dim 4, keys 0..rows-1, row of key k = {k, k, k, k})
// and table "u" (dim 2, same keys), imported into a fresh data dir.
struct UpdateModel {
  static constexpr uint32_t kDimT = 4;
  static constexpr uint32_t kDimU = 2;
  TempDir dir;
  std::string data_dir = dir.path() + "/data";
  std::unique_ptr<ModelStore> store;
  std::unique_ptr<ModelRegistry> registry;

  // `dim_t` overrides table t's dim (benchmarks).
  explicit UpdateModel(int rows = 100, uint64_t cache_bytes = 1 << 20,
                       uint32_t dim_t = kDimT);
  // Closes and reopens the store and registry (a restart).
  void Reopen(uint64_t cache_bytes = 1 << 20);
  void Close();
  // The row `key` has in table `table`, through the whole chain.
  std::vector<float> Row(const std::string& table, int64_t key) const;
};

class MockKafka {
 public:
  explicit MockKafka(int brokers = 1);
  ~MockKafka();

  const std::string& bootstraps() const { return bootstraps_; }
  void CreateTopic(const std::string& topic, int partitions);
  // Takes every broker down or brings them back.
  void SetDown(bool down);
  // Produces and waits until the broker has it (or 10 s pass; returns false).
  bool Produce(const std::string& topic, int32_t partition,
               const std::string& bytes);

 private:
  int brokers_;
  rd_kafka_t* owner_ = nullptr;     // owns the mock cluster
  rd_kafka_t* producer_ = nullptr;  // produces over TCP
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

// Polls `done` every 10 ms until it is true or `max_ms` pass.
template <typename F>
bool WaitFor(F done, int max_ms = 20000) {
  for (int waited = 0; waited < max_ms; waited += 10) {
    if (done()) return true;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return done();
}

}  // namespace strata::testing
