// Drain, end to end: two servers behind one round_robin target (what a
// headless Service gives a client), `strata bench` driving both, and one
// server SIGTERMed under that load. The client's channel moves to the other
// server and retries what raced the shutdown: not one call fails.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;

// OK Lookups `server` has answered, read off its /metrics.
double LookupsServed(const ServerProcess& server) {
  httplib::Client http("127.0.0.1", server.metrics_port());
  httplib::Result r = http.Get("/metrics");
  if (!r || r->status != 200) return 0;
  const std::string series =
      "strata_requests_total{method=\"Lookup\",code=\"OK\"} ";
  size_t at = r->body.find(series);
  return at == std::string::npos
             ? 0
             : std::stod(r->body.substr(at + series.size()));
}

}  // namespace

TEST_CASE(
    "a server SIGTERMed under load behind a round_robin target costs "
    "the client no failed call",
    "[e2e][drain]") {
  TempDir dir;
  REQUIRE(
      RunCommand({kCli, "gen-model", "--out", dir.path() + "/model", "--tables",
                  "4", "--rows", "1000", "--dim", "16", "--seed", "9"})
          .exit_code == 0);
  // Each pod keeps its own copy of the model.
  for (const char* copy : {"/a", "/b"}) {
    REQUIRE(RunCommand({kCli, "import", "--data-dir", dir.path() + copy,
                        "--model", "m", "--from", dir.path() + "/model"})
                .exit_code == 0);
  }
  TempDir scratch_a, scratch_b;
  ServerProcess a(
      kServer, {"--data-dir", dir.path() + "/a", "--shutdown-grace-ms", "3000"},
      scratch_a.path());
  ServerProcess b(kServer, {"--data-dir", dir.path() + "/b"}, scratch_b.path());
  REQUIRE(a.running());
  REQUIRE(b.running());
  const std::string target = "ipv4:127.0.0.1:" + std::to_string(a.port()) +
                             ",127.0.0.1:" + std::to_string(b.port());

  RunningCommand bench({kCli, "bench", "--target", target, "--model", "m",
                        "--batch", "16", "--concurrency", "8", "--connections",
                        "2", "--duration", "4", "--warmup", "0", "--json"});
  // Once the load reaches server a (an event, not a fixed time), stop it.
  for (int polls = 0; LookupsServed(a) < 200; ++polls) {
    REQUIRE(polls < 3000);  // the bench never got going: see its output
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double served_by_b_before = LookupsServed(b);
  CHECK(a.Stop() == 0);
  CommandResult r = bench.Wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["count"].get<uint64_t>() > 0);
  CHECK(j["errors"].get<uint64_t>() == 0);
  CHECK(LookupsServed(b) > served_by_b_before);  // b took a's share
  CHECK(b.Stop() == 0);
}

}  // namespace strata::testing
