// End to end with Kafka: librdkafka's mock cluster in this process (over
// TCP), the real strata-server as a child process consuming it, updates
// published with UpdatePublisher, rows read back with Lookup over gRPC.
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "client/strata_client.h"
#include "client/update_publisher.h"
#include "tests/integration/subprocess.h"
#include "tests/unit/update_test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;

std::vector<std::string> Flags(const UpdateModel& m, const MockKafka& kafka) {
  return {"--data-dir",
          m.data_dir,
          "--kafka-brokers",
          kafka.bootstraps(),
          "--kafka-hps-topics",
          "false",
          "--kafka-metadata-refresh-ms",
          "200"};
}

// Row of `key` in table t through gRPC; empty on error.
std::vector<float> LookupRow(StrataClient& client, int64_t key) {
  v1::LookupRequest r;
  r.set_model("m");
  v1::TableKeys* t = r.add_tables();
  t->set_table("t");
  t->add_keys(key);
  auto reply = client.Lookup(r);
  if (!reply.ok()) return {};
  std::vector<float> row(UpdateModel::kDimT);
  CopyRow(reply->tables(0), 0, row.data());
  return row;
}

v1::UpdateStats Updates(StrataClient& client) {
  auto stats = client.GetStats();
  return stats.ok() ? stats->updates() : v1::UpdateStats();
}

std::unique_ptr<UpdatePublisher> Publisher(const MockKafka& kafka) {
  PublisherOptions o;
  o.brokers = kafka.bootstraps();
  o.max_rows_per_message = 1;
  o.rdkafka["linger.ms"] = "1";
  // Brokers go down in a test: notice the dead connection quickly.
  o.rdkafka["socket.timeout.ms"] = "3000";
  o.rdkafka["reconnect.backoff.max.ms"] = "500";
  return UpdatePublisher::Create(o).value();
}

}  // namespace

TEST_CASE("kill -9 mid-stream loses nothing and keeps the newest rows",
          "[kafka]") {
  UpdateModel m;
  m.Close();
  MockKafka kafka;
  kafka.CreateTopic("strata.m", 3);
  auto publisher = Publisher(kafka);
  constexpr int kUpdates = 600, kKeys = 40;
  auto publish = [&](int i) {
    std::vector<float> row(UpdateModel::kDimT, static_cast<float>(i));
    REQUIRE(publisher
                ->Publish("m", "t", UpdateModel::kDimT,
                          {static_cast<int64_t>(i % kKeys)}, row)
                .ok());
  };
  {
    ServerProcess server(kServer, Flags(m, kafka), m.dir.path());
    REQUIRE(server.running());
    StrataClient client({server.target(), 5000});
    int i = 0;
    for (; i < kUpdates / 2; ++i) publish(i);
    REQUIRE(publisher->Flush(30000).ok());
    // Kill it while it is applying the second half.
    REQUIRE(WaitFor([&] { return Updates(client).applied_messages() > 50; }));
    for (; i < kUpdates; ++i) publish(i);
    server.Kill();
    REQUIRE(publisher->Flush(30000).ok());
  }
  ServerProcess again(kServer, Flags(m, kafka), m.dir.path());
  INFO(again.log());
  REQUIRE(again.running());
  StrataClient client({again.target(), 5000});
  // Every key ends at its last update: none lost, none older on top.
  REQUIRE(WaitFor([&] {
    for (int k = 0; k < kKeys; ++k) {
      const float last = static_cast<float>(kUpdates - kKeys + k);
      if (LookupRow(client, k) !=
          std::vector<float>(UpdateModel::kDimT, last)) {
        return false;
      }
    }
    return true;
  }));
  REQUIRE(WaitFor([&] {
    v1::UpdateStats s = Updates(client);
    return s.assigned_partitions() == 3 && s.lag() == 0;
  }));
  CHECK(Updates(client).applied_messages() < kUpdates);  // resumed, no replay
  CHECK(again.Stop() == 0);

  // A restart with nothing new applies zero messages.
  ServerProcess idle(kServer, Flags(m, kafka), m.dir.path());
  REQUIRE(idle.running());
  StrataClient idle_client({idle.target(), 5000});
  REQUIRE(WaitFor([&] {
    v1::UpdateStats s = Updates(idle_client);
    return s.kafka_enabled() && s.assigned_partitions() == 3 && s.lag() == 0;
  }));
  CHECK(Updates(idle_client).applied_messages() == 0);
  CHECK(idle.Stop() == 0);
}

TEST_CASE("brokers down: lookups go on, ingestion resumes, lag returns to 0",
          "[kafka]") {
  UpdateModel m;
  m.Close();
  MockKafka kafka;
  kafka.CreateTopic("strata.m", 2);
  auto publisher = Publisher(kafka);
  ServerProcess server(kServer, Flags(m, kafka), m.dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  StrataClient client({server.target(), 5000});
  REQUIRE(WaitFor([&] { return Updates(client).assigned_partitions() == 2; }));

  kafka.SetDown(true);
  // Published while the brokers are down: delivered once they are back.
  std::vector<float> row(UpdateModel::kDimT, 77.0f);
  REQUIRE(publisher->Publish("m", "t", UpdateModel::kDimT, {5}, row).ok());
  for (int i = 0; i < 50; ++i) {
    REQUIRE(LookupRow(client, 6) ==
            std::vector<float>(UpdateModel::kDimT, 6.0f));
  }
  kafka.SetDown(false);
  REQUIRE(publisher->Flush(60000).ok());
  REQUIRE(WaitFor([&] { return LookupRow(client, 5) == row; }, 60000));
  REQUIRE(WaitFor([&] { return Updates(client).lag() == 0; }, 60000));
  CHECK(server.Stop() == 0);
}

TEST_CASE("PushUpdates applies over gRPC and refuses bad batches", "[kafka]") {
  UpdateModel m;
  m.Close();
  ServerProcess server(kServer, {"--data-dir", m.data_dir}, m.dir.path());
  REQUIRE(server.running());
  auto channel =
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials());
  auto stub = v1::Admin::NewStub(channel);
  auto push = [&](const v1::PushUpdatesRequest& r,
                  v1::PushUpdatesResponse* out) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    return stub->PushUpdates(&context, r, out);
  };
  v1::PushUpdatesRequest request;
  v1::UpdateBatch* b = request.add_batches();
  b->set_model("m");
  b->set_table("t");
  b->set_dim(UpdateModel::kDimT);
  b->add_keys(3);
  std::vector<float> row(UpdateModel::kDimT, 33.0f);
  b->set_values(reinterpret_cast<const char*>(row.data()), row.size() * 4);
  v1::PushUpdatesResponse response;
  REQUIRE(push(request, &response).ok());
  CHECK(response.applied_rows() == 1);
  StrataClient client({server.target(), 5000});
  CHECK(LookupRow(client, 3) == row);

  b->set_dim(3);  // values no longer fill whole rows
  CHECK(push(request, &response).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  b->set_dim(UpdateModel::kDimT);
  b->set_table("nope");
  CHECK(push(request, &response).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(server.Stop() == 0);
}

}  // namespace strata::testing
