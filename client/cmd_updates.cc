// Update subcommands: publish (a HugeCTR sparse folder to Kafka, through
// UpdatePublisher) and dev-broker (librdkafka's mock Kafka cluster on
// loopback, for development and tests only: it keeps everything in memory,
// has no persistence and no security).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "client/commands.h"
#include "client/update_publisher.h"

namespace strata::cli {
namespace {

std::vector<char> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("publish", "cannot read " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

// Publishes `<from>/<table>.model/{key,emb_vector}`; returns rows sent.
uint64_t PublishTable(UpdatePublisher* publisher, const std::string& model,
                      const std::string& from, const std::string& table) {
  const std::string dir = from + "/" + table + ".model";
  std::vector<char> key_bytes = ReadAll(dir + "/key");
  std::vector<char> emb_bytes = ReadAll(dir + "/emb_vector");
  const size_t n = key_bytes.size() / sizeof(int64_t);
  if (n == 0 || key_bytes.size() % sizeof(int64_t) != 0 ||
      emb_bytes.size() % (n * sizeof(float)) != 0) {
    Fail("publish", dir + ": key and emb_vector sizes do not match");
  }
  const uint32_t dim = static_cast<uint32_t>(emb_bytes.size() / (n * 4));
  std::vector<int64_t> keys(n);
  std::vector<float> values(n * dim);
  std::memcpy(keys.data(), key_bytes.data(), key_bytes.size());
  std::memcpy(values.data(), emb_bytes.data(), emb_bytes.size());
  absl::Status s = publisher->Publish(model, table, dim, keys, values);
  if (!s.ok()) Fail("publish", std::string(s.message()));
  return n;
}

}  // namespace

void AddPublish(CLI::App& app) {
  struct Args {
    PublisherOptions publisher;
    std::string model, table, from;
    std::string format = "protobuf";
    uint32_t timeout_ms = 60000;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "publish",
      "Publish rows of a HugeCTR sparse folder (<table>.model/{key,"
      "emb_vector}, e.g. a delta written by gen-model) to Kafka as online "
      "updates, and wait until the brokers have them.");
  cmd->add_option("--brokers", args->publisher.brokers,
                  "Kafka bootstrap servers (host:port,...)")
      ->required();
  cmd->add_option("--model", args->model, "Model name")->required();
  cmd->add_option("--table", args->table,
                  "Table to publish (default: every <table>.model folder)");
  cmd->add_option("--from", args->from, "HugeCTR sparse folder")->required();
  cmd->add_option("--format", args->format,
                  "protobuf (topic <prefix><model>) or hctr (topic "
                  "hps_et.<model>.<table>)")
      ->check(CLI::IsMember({"protobuf", "hctr"}))
      ->capture_default_str();
  cmd->add_option("--topic-prefix", args->publisher.topic_prefix,
                  "Prefix of protobuf topics")
      ->capture_default_str();
  cmd->add_option("--rows-per-message", args->publisher.max_rows_per_message,
                  "Most rows in one Kafka message")
      ->capture_default_str();
  cmd->add_option("--timeout-ms", args->timeout_ms,
                  "How long to wait for the brokers to acknowledge")
      ->capture_default_str();
  cmd->callback([args] {
    args->publisher.hctr = args->format == "hctr";
    auto publisher = UpdatePublisher::Create(args->publisher);
    if (!publisher.ok())
      Fail("publish", std::string(publisher.status().message()));
    std::vector<std::string> tables;
    if (!args->table.empty()) {
      tables.push_back(args->table);
    } else {
      std::error_code ec;
      for (const auto& e :
           std::filesystem::directory_iterator(args->from, ec)) {
        const std::string name = e.path().filename().string();
        if (e.is_directory() && name.size() > 6 &&
            name.substr(name.size() - 6) == ".model") {
          tables.push_back(name.substr(0, name.size() - 6));
        }
      }
      if (ec || tables.empty())
        Fail("publish", "no <table>.model in " + args->from);
    }
    uint64_t rows = 0;
    for (const std::string& t : tables) {
      rows += PublishTable(publisher->get(), args->model, args->from, t);
    }
    absl::Status s = (*publisher)->Flush(args->timeout_ms);
    if (!s.ok()) Fail("publish", std::string(s.message()));
    std::printf(
        "published %llu rows of %zu tables in %llu messages\n",
        static_cast<unsigned long long>(rows), tables.size(),
        static_cast<unsigned long long>((*publisher)->delivered_messages()));
  });
}

void AddDevBroker(CLI::App& app) {
  struct Args {
    int brokers = 1;
    std::vector<std::string> topics;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "dev-broker",
      "DEVELOPMENT ONLY: run librdkafka's in-memory mock Kafka cluster on "
      "loopback, print its bootstrap servers, and serve until SIGINT/SIGTERM. "
      "No persistence, no security; never use it in production.");
  cmd->add_option("--brokers", args->brokers, "Number of mock brokers")
      ->capture_default_str();
  cmd->add_option("--topic", args->topics,
                  "Create a topic first: NAME or NAME:PARTITIONS (repeatable)");
  cmd->callback([args] {
    // Take the stop signals with sigwait, in every thread.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    // This handle only hosts the cluster: no "no bootstrap.servers" warning.
    rd_kafka_conf_set(conf, "log_level", "4", err, sizeof(err));
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (rk == nullptr) Fail("dev-broker", err);
    rd_kafka_mock_cluster_t* cluster =
        rd_kafka_mock_cluster_new(rk, args->brokers);
    if (cluster == nullptr) Fail("dev-broker", "cannot start the mock cluster");
    for (const std::string& spec : args->topics) {
      std::vector<std::string> parts = absl::StrSplit(spec, ':');
      int partitions = 1;
      if (parts.size() > 1 && !absl::SimpleAtoi(parts[1], &partitions)) {
        Fail("dev-broker", "bad --topic " + spec, 2);
      }
      if (rd_kafka_mock_topic_create(cluster, parts[0].c_str(), partitions,
                                     1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        Fail("dev-broker", "cannot create topic " + spec);
      }
    }
    std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    std::fflush(stdout);
    std::fprintf(stderr,
                 "strata dev-broker: mock Kafka (development only) on %s; "
                 "Ctrl-C stops it\n",
                 rd_kafka_mock_cluster_bootstraps(cluster));
    int sig = 0;
    sigwait(&set, &sig);
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
  });
}

}  // namespace strata::cli
