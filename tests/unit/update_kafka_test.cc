// KafkaSource against librdkafka's mock cluster over TCP, in process.
#include <catch2/catch.hpp>

#include "engine/update/kafka_source.h"
#include "engine/update/update_codec.h"
#include "tests/unit/update_test_util.h"

namespace strata::testing {
namespace {

KafkaSourceOptions Options(const MockKafka& kafka) {
  KafkaSourceOptions o;
  o.brokers = kafka.bootstraps();
  o.metadata_refresh_ms = 200;
  o.lag_refresh_ms = 50;
  o.rdkafka["reconnect.backoff.ms"] = "50";
  o.rdkafka["reconnect.backoff.max.ms"] = "200";
  o.rdkafka["log_level"] = "2";
  return o;
}

std::string Batch(const std::string& table, uint32_t dim, int64_t key,
                  float value) {
  std::vector<float> row(dim, value);
  return EncodeUpdateBatch("m", table, dim, {key}, row);
}

struct Running {
  std::unique_ptr<Applier> applier;
  std::unique_ptr<UpdateSource> source;
  // The mock cluster creates any topic a consumer asks about, so tests that
  // count partitions leave the HPS topics out.
  Running(UpdateModel& m, const MockKafka& kafka, bool hps = true) {
    applier = std::make_unique<Applier>(m.store.get(), m.registry.get());
    KafkaSourceOptions options = Options(kafka);
    options.hps_topics = hps;
    source = NewKafkaSource(options, m.registry.get(), applier.get()).value();
    REQUIRE(source->Start().ok());
  }
  ~Running() { source->Stop(); }
};

}  // namespace

TEST_CASE("malformed messages are skipped and the consumer goes on",
          "[kafka]") {
  UpdateModel m;
  MockKafka kafka;
  kafka.CreateTopic("strata.m", 2);
  kafka.CreateTopic("hps_et.m.t", 1);
  Running run(m, kafka);
  REQUIRE(kafka.Produce("strata.m", 0, "garbage, not protobuf"));
  REQUIRE(kafka.Produce("strata.m", 0, Batch("t", 3, 1, 5.0f)));  // wrong dim
  REQUIRE(kafka.Produce("strata.m", 1, Batch("nope", 4, 1, 5.0f)));
  std::string other = EncodeUpdateBatch("other", "t", 4, {1}, {1, 1, 1, 1});
  REQUIRE(kafka.Produce("strata.m", 1, other));  // unknown model
  std::vector<float> row(4, 8.0f);
  std::string hctr = EncodeHctr(4, {2}, row);
  REQUIRE(kafka.Produce("hps_et.m.t", 0, hctr.substr(0, hctr.size() - 1)));
  REQUIRE(kafka.Produce("hps_et.m.t", 0, "XCTR" + hctr.substr(4)));
  // Good messages after the bad ones are applied.
  REQUIRE(kafka.Produce("strata.m", 0, Batch("t", 4, 1, 6.0f)));
  REQUIRE(kafka.Produce("hps_et.m.t", 0, hctr));
  REQUIRE(WaitFor([&] { return run.source->stats().applied_messages == 2; }));
  UpdateSourceStats s = run.source->stats();
  CHECK(s.skipped_messages == 6);
  CHECK(s.assigned_partitions >= 3);
  CHECK(m.Row("t", 1) == std::vector<float>(4, 6.0f));
  CHECK(m.Row("t", 2) == std::vector<float>(4, 8.0f));
  REQUIRE(WaitFor([&] { return run.source->stats().lag == 0; }));
}

TEST_CASE("a restart resumes at the stored offsets and replays nothing",
          "[kafka]") {
  UpdateModel m;
  MockKafka kafka;
  kafka.CreateTopic("strata.m", 3);
  {
    Running run(m, kafka, /*hps=*/false);
    // Each key's updates go to one partition (as a producer keyed by row
    // does): Kafka orders messages within a partition only, so a key updated
    // through several partitions may end at any of its values (the flake
    // this replaced: key 4 ended at 24, not 29).
    for (int i = 0; i < 30; ++i) {
      const int key = i % 5;
      REQUIRE(kafka.Produce("strata.m", key % 3, Batch("t", 4, key, float(i))));
    }
    REQUIRE(
        WaitFor([&] { return run.source->stats().applied_messages == 30; }));
  }
  m.Reopen();
  {
    // Nothing new: zero messages applied, lag 0.
    Running run(m, kafka, /*hps=*/false);
    REQUIRE(WaitFor([&] {
      UpdateSourceStats s = run.source->stats();
      return s.assigned_partitions == 3 && s.connected && s.lag == 0;
    }));
    // Give a replay the time it would take to show up, bounded.
    REQUIRE(kafka.Produce("strata.m", 0, Batch("u", 2, 50, 1.0f)));
    REQUIRE(
        WaitFor([&] { return run.source->stats().consumed_messages >= 1; }));
    CHECK(run.source->stats().consumed_messages == 1);
    CHECK(run.source->stats().applied_messages == 1);
  }
  // Key k's last update was message i = 25 + k.
  for (int k = 0; k < 5; ++k) {
    CHECK(m.Row("t", k) == std::vector<float>(4, float(25 + k)));
  }
}

TEST_CASE("brokers going down stop ingestion, not serving, and it resumes",
          "[kafka]") {
  UpdateModel m;
  MockKafka kafka;
  kafka.CreateTopic("strata.m", 1);
  Running run(m, kafka);
  REQUIRE(kafka.Produce("strata.m", 0, Batch("t", 4, 1, 11.0f)));
  REQUIRE(WaitFor([&] { return run.source->stats().applied_messages == 1; }));

  kafka.SetDown(true);
  // Lookups keep working while the brokers are away.
  for (int i = 0; i < 20; ++i) {
    CHECK(m.Row("t", 1) == std::vector<float>(4, 11.0f));
    CHECK(m.Row("t", 2) == std::vector<float>(4, 2.0f));
  }
  kafka.SetDown(false);
  REQUIRE(kafka.Produce("strata.m", 0, Batch("t", 4, 2, 12.0f)));
  REQUIRE(WaitFor([&] { return run.source->stats().applied_messages == 2; }));
  CHECK(m.Row("t", 2) == std::vector<float>(4, 12.0f));
  REQUIRE(WaitFor([&] { return run.source->stats().lag == 0; }));
}

}  // namespace strata::testing
