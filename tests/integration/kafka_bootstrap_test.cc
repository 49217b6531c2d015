// End to end: a new pod with an empty data dir bootstraps from a serving peer
// (bootstrap_from: Admin/StreamSnapshot), serves the same rows, and then
// reads Kafka from the offsets its snapshot includes: it applies what is
// published after it started, and nothing the snapshot already holds.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "client/strata_client.h"
#include "client/update_publisher.h"
#include "tests/integration/subprocess.h"
#include "tests/unit/update_test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;

std::vector<std::string> Flags(const std::string& data_dir,
                               const MockKafka& kafka) {
  return {"--data-dir",
          data_dir,
          "--kafka-brokers",
          kafka.bootstraps(),
          "--kafka-hps-topics",
          "false",
          "--kafka-metadata-refresh-ms",
          "200"};
}

std::vector<float> Row(StrataClient& client, const std::string& table,
                       int64_t key) {
  v1::LookupRequest r;
  r.set_model("m");
  v1::TableKeys* t = r.add_tables();
  t->set_table(table);
  t->add_keys(key);
  auto reply = client.Lookup(r);
  if (!reply.ok()) return {};
  std::vector<float> row(reply->tables(0).dim());
  CopyRow(reply->tables(0), 0, row.data());
  return row;
}

}  // namespace

TEST_CASE("a new pod bootstraps from a peer, then catches up from Kafka",
          "[kafka]") {
  UpdateModel m;
  m.Close();
  MockKafka kafka;
  kafka.CreateTopic("strata.m", 2);
  PublisherOptions po;
  po.brokers = kafka.bootstraps();
  po.rdkafka["linger.ms"] = "1";
  auto publisher = UpdatePublisher::Create(po).value();
  auto publish = [&](int64_t key, float value) {
    std::vector<float> row(UpdateModel::kDimT, value);
    REQUIRE(publisher->Publish("m", "t", UpdateModel::kDimT, {key}, row).ok());
    REQUIRE(publisher->Flush(30000).ok());
  };

  ServerProcess a(kServer, Flags(m.data_dir, kafka), m.dir.path());
  INFO(a.log());
  REQUIRE(a.running());
  StrataClient client_a({a.target(), 5000});
  for (int64_t k = 1; k <= 5; ++k) publish(k, 100.0f + k);
  REQUIRE(WaitFor([&] {
    return Row(client_a, "t", 5) ==
           std::vector<float>(UpdateModel::kDimT, 105.0f);
  }));

  TempDir b_dir;
  std::vector<std::string> b_flags = Flags(b_dir.path() + "/data", kafka);
  b_flags.insert(b_flags.end(), {"--bootstrap-from", a.target()});
  ServerProcess b(kServer, b_flags, b_dir.path());
  INFO(b.log());
  REQUIRE(b.running());
  StrataClient client_b({b.target(), 5000});
  REQUIRE(WaitFor([&] {
    auto models = client_b.ListModels();
    return models.ok() && models->models_size() == 1;
  }));
  REQUIRE(
      WaitFor([&] { return b.log().find("SERVING") != std::string::npos; }));
  auto models = client_b.ListModels();
  REQUIRE(models.ok());
  CHECK(models->models(0).version() == 1);  // the peer's version number
  for (const char* table : {"t", "u"}) {
    for (int64_t k = 0; k < 12; ++k) {
      INFO(table << " key " << k);
      CHECK(Row(client_b, table, k) == Row(client_a, table, k));
    }
  }

  // Published after B started: B applies it, and only it.
  publish(3, 777.0f);
  REQUIRE(WaitFor([&] {
    return Row(client_b, "t", 3) ==
           std::vector<float>(UpdateModel::kDimT, 777.0f);
  }));
  auto stats = client_b.GetStats();
  REQUIRE(stats.ok());
  CHECK(stats->updates().applied_messages() == 1);
  CHECK(Row(client_a, "t", 3) == Row(client_b, "t", 3));
  CHECK(b.Stop() == 0);
  CHECK(a.Stop() == 0);
}

}  // namespace strata::testing
