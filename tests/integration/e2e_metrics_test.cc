// Metrics end to end: a real strata-server under a lookup load, scraped by a
// real Prometheus (Debian's package) whose HTTP API must then hold every
// family with the values the load implies; the same scrape read directly
// must pass `promtool check metrics`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/infer_input.h"
#include "client/strata_client.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;
const std::string kData = STRATA_ONNX_DATA;

// A loopback port nothing listens on (the kernel's pick, then released).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string Scrape(int port) {
  httplib::Client http("127.0.0.1", port);
  auto res = http.Get("/metrics");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK_THAT(res->get_header_value("Content-Type"),
             Catch::Matchers::Contains("version=0.0.4"));
  return res->body;
}

// "name{labels}" -> value of every sample line.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    const std::string v = line.substr(space + 1);
    out[line.substr(0, space)] = v == "+Inf" ? 1e308 : std::stod(v);
  }
  return out;
}

// Families every scrape must hold (histograms by their base name).
const std::vector<std::string> kFamilies = {
    "strata_requests_total",
    "strata_request_duration_seconds_bucket",
    "strata_keys_looked_up_total",
    "strata_default_rows_total",
    "strata_infer_samples_total",
    "strata_tier_lookups_total",
    "strata_tier_hits_total",
    "strata_tier_misses_total",
    "strata_tier_rows",
    "strata_tier_bytes",
    "strata_tier_lookup_duration_seconds_bucket",
    "strata_batch_keys_bucket",
    "strata_batch_requests_bucket",
    "strata_queue_depth",
    "strata_queue_rejected_total",
    "strata_queue_expired_total",
    "strata_update_applied_messages_total",
    "strata_update_applied_rows_total",
    "strata_update_skipped_messages_total",
    "strata_update_lag_messages",
    "strata_model_info",
};

}  // namespace

TEST_CASE("Prometheus scrapes every metric, moved by the load's amounts",
          "[e2e][metrics]") {
  TempDir dir;
  const std::string model_dir = dir.path() + "/model";
  const std::string data_dir = dir.path() + "/data";
  REQUIRE(RunCommand({kCli, "gen-model", "--out", model_dir, "--tables", "2",
                      "--rows", "500", "--dim", "8", "--seed", "3"})
              .exit_code == 0);
  REQUIRE(RunCommand({kCli, "import", "--data-dir", data_dir, "--model", "demo",
                      "--from", model_dir})
              .exit_code == 0);
  REQUIRE(
      RunCommand({kCli, "import", "--data-dir", data_dir, "--model", "dcn",
                  "--from", kData + "/tables", "--dense", kData + "/dcn.onnx"})
          .exit_code == 0);
  ServerProcess server(kServer, {"--data-dir", data_dir}, dir.path());
  INFO(server.log());
  REQUIRE(server.running());
  REQUIRE(server.metrics_port() > 0);

  // A real Prometheus scraping the server every second.
  const int prom_port = FreePort();
  const std::string config = dir.path() + "/prometheus.yml";
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n"
                        << "scrape_configs:\n  - job_name: strata\n"
                        << "    static_configs:\n      - targets: ['127.0.0.1:"
                        << server.metrics_port() << "']\n";
  BackgroundProcess prometheus(
      {"/usr/bin/prometheus", "--config.file=" + config,
       "--storage.tsdb.path=" + dir.path() + "/tsdb",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      dir.path() + "/prometheus.log");

  // The load: 4 clients x 50 Lookups of 4 keys, one unknown model, and one
  // Infer of 4 samples.
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&server] {
      StrataClient client({server.target(), 5000});
      for (int i = 0; i < 50; ++i) {
        v1::LookupRequest r;
        r.set_model("demo");
        v1::TableKeys* t = r.add_tables();
        t->set_table("t0");
        for (int k = 0; k < 3; ++k) t->add_keys((i * 3 + k) % 400);
        t->add_keys(int64_t{1} << 40);  // in no tier: a default row
        CHECK(client.Lookup(r).ok());
      }
    });
  }
  for (auto& t : clients) t.join();
  StrataClient client({server.target(), 5000});
  v1::LookupRequest unknown;
  unknown.set_model("nope");
  CHECK_FALSE(client.Lookup(unknown).ok());
  std::ifstream case_file(kData + "/dcn_b4.json");
  absl::StatusOr<v1::InferRequest> infer =
      InferRequestFromJson(nlohmann::json::parse(case_file));
  REQUIRE(infer.ok());
  infer->set_model("dcn");
  REQUIRE(client.Infer(*infer).ok());

  // Read directly: the counters moved by exactly the load's amounts.
  const std::string text = Scrape(server.metrics_port());
  std::map<std::string, double> s = Samples(text);
  CHECK(s["strata_requests_total{method=\"Lookup\",code=\"OK\"}"] == 200);
  CHECK(s["strata_requests_total{method=\"Lookup\",code=\"NOT_FOUND\"}"] == 1);
  CHECK(s["strata_requests_total{method=\"Infer\",code=\"OK\"}"] == 1);
  CHECK(s["strata_request_duration_seconds_count{method=\"Lookup\"}"] == 201);
  CHECK(s["strata_keys_looked_up_total{method=\"Lookup\"}"] == 800);
  CHECK(s["strata_keys_looked_up_total{method=\"Infer\"}"] > 0);
  CHECK(s["strata_infer_samples_total"] == 4);
  const std::string t0 = "{model=\"demo\",table=\"t0\",tier=\"";
  CHECK(s["strata_tier_lookups_total" + t0 + "hash_map\"}"] == 800);
  // One key of each request is in no tier: every tier misses it.
  CHECK(s["strata_tier_misses_total" + t0 + "rocksdb\"}"] >= 1);
  CHECK(s["strata_tier_lookup_duration_seconds_count" + t0 + "hash_map\"}"] >
        0);
  CHECK(s["strata_default_rows_total{method=\"Lookup\"}"] == 200);
  CHECK(s["strata_batch_requests_count"] >= 1);
  CHECK(s["strata_model_info{model=\"dcn\",version=\"1\",dense=\"true\"}"] ==
        1);
  for (const std::string& family : kFamilies) {
    INFO(family);
    CHECK(text.find("\n" + family) != std::string::npos);
  }

  // promtool's own lint of the exposition.
  const std::string scrape_file = dir.path() + "/scrape.txt";
  std::ofstream(scrape_file) << text;
  CommandResult lint = RunCommand(
      {"/bin/sh", "-c", "promtool check metrics < '" + scrape_file + "'"});
  INFO(lint.out << lint.err);
  CHECK(lint.exit_code == 0);

  // Prometheus holds every family, with the load's count once it scraped
  // after the load (bounded wait: it scrapes every second).
  httplib::Client api("127.0.0.1", prom_port);
  std::string ok_count;
  for (int i = 0; i < 120 && ok_count != "200"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto res = api.Get(
        "/api/v1/query?query=strata_requests_total%7Bmethod%3D%22Lookup%22%2C"
        "code%3D%22OK%22%7D");
    if (!res || res->status != 200) continue;
    nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_discarded() || j["data"]["result"].empty()) continue;
    ok_count = j["data"]["result"][0]["value"][1].get<std::string>();
  }
  INFO(prometheus.log());
  REQUIRE(ok_count == "200");
  auto names = api.Get("/api/v1/label/__name__/values");
  REQUIRE(names);
  INFO(names->body);
  std::set<std::string> stored;
  const nlohmann::json listed = nlohmann::json::parse(names->body);
  for (const auto& n : listed["data"]) {
    stored.insert(n.get<std::string>());
  }
  for (const std::string& family : kFamilies) {
    INFO(family);
    CHECK(stored.count(family) == 1);
  }
}

}  // namespace strata::testing
