// Overload, end to end: `strata bench` offers several times what the server
// can answer; the in-flight byte budget refuses the excess with
// RESOURCE_EXHAUSTED, the server's peak RSS stays within its unloaded RSS
// plus the budget, admitted calls keep a bounded latency, and the first load
// under capacity afterwards sees no errors at all.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/integration/subprocess.h"
#include "tests/unit/test_util.h"

namespace strata::testing {
namespace {

const std::string kServer = STRATA_SERVER_BIN;
const std::string kCli = STRATA_CLI_BIN;
constexpr uint64_t kBudget = 32 << 20;

// VmRSS or VmHWM (the peak) of `pid`, in bytes.
uint64_t ProcBytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;  // kB
    }
  }
  return 0;
}

nlohmann::json Bench(const ServerProcess& server,
                     std::vector<std::string> extra) {
  std::vector<std::string> argv = {
      kCli,  "bench",  "--target", server.target(), "--model", "m", "--batch",
      "128", "--zipf", "0",        "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  CommandResult r = RunCommand(argv);
  INFO(r.err);
  REQUIRE((r.exit_code == 0 || r.exit_code == 1));  // 1: some calls failed
  return nlohmann::json::parse(r.out);
}

uint64_t Status(const nlohmann::json& j, const std::string& code) {
  const auto& d = j["statusCodeDistribution"];
  return d.contains(code) ? d[code].get<uint64_t>() : 0;
}

}  // namespace

TEST_CASE(
    "several times capacity: the excess is RESOURCE_EXHAUSTED, memory "
    "stays within the byte budget, and recovery is immediate",
    "[e2e][overload]") {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  // 8 tables of dim 64: a 128-sample reply is 256 KB of rows.
  REQUIRE(
      RunCommand({kCli, "gen-model", "--out", dir.path() + "/model", "--tables",
                  "8", "--rows", "4000", "--dim", "64", "--seed", "5"})
          .exit_code == 0);
  REQUIRE(RunCommand({kCli, "import", "--data-dir", data, "--model", "m",
                      "--from", dir.path() + "/model"})
              .exit_code == 0);
  ServerProcess server(
      kServer,
      {"--data-dir", data, "--max-inflight-bytes", std::to_string(kBudget)},
      dir.path());
  INFO(server.log());
  REQUIRE(server.running());

  // Uniform keys for long enough that every row is in the hash map: what
  // the storm adds to RSS is then what its calls hold, not cache.
  nlohmann::json calm = Bench(
      server, {"--concurrency", "2", "--duration", "1", "--warmup", "0.5"});
  REQUIRE(Status(calm, "OK") == calm["count"].get<uint64_t>());
  const double capacity = calm["rps"].get<double>();
  const uint64_t calm_rss = ProcBytes(server.pid(), "VmRSS");
  REQUIRE(capacity > 0);

  // Open loop at 6x capacity, with enough calls in flight to offer it.
  const std::string offered = std::to_string(static_cast<int>(capacity * 6));
  nlohmann::json storm = Bench(
      server, {"--rps", offered, "--concurrency", "256", "--timeout-ms", "3000",
               "--duration", "2", "--warmup", "0", "--connections", "4"});
  REQUIRE(server.running());
  const uint64_t ok = Status(storm, "OK");
  const uint64_t shed = Status(storm, "RESOURCE_EXHAUSTED");
  const uint64_t late = Status(storm, "DEADLINE_EXCEEDED");
  CHECK(ok > 0);
  CHECK(shed > 0);
  CHECK(ok + shed + late == storm["count"].get<uint64_t>());  // nothing else
  const uint64_t peak_rss = ProcBytes(server.pid(), "VmHWM");
  std::printf(
      "overload: capacity %.0f req/s, offered %s; OK %llu, "
      "RESOURCE_EXHAUSTED %llu, DEADLINE_EXCEEDED %llu; p99 %.1f ms admitted "
      "vs %.1f ms unloaded; RSS %.1f MB unloaded, %.1f MB peak (budget %.1f "
      "MB)\n",
      capacity, offered.c_str(), static_cast<unsigned long long>(ok),
      static_cast<unsigned long long>(shed),
      static_cast<unsigned long long>(late),
      storm["p99_us"].get<double>() / 1e3, calm["p99_us"].get<double>() / 1e3,
      calm_rss / 1e6, peak_rss / 1e6, kBudget / 1e6);
#if !defined(__SANITIZE_ADDRESS__)
  // (ASan's quarantine keeps freed blocks resident: no RSS bound there.)
  // Beyond the budget: the requests of the calls not admitted (gRPC has
  // parsed them before the server can refuse them), 16 KB each at most.
  CHECK(peak_rss <= (calm_rss + kBudget) * 1.1 + 256 * (16 << 10));
#endif

  // Back under capacity: past the first half second (the unmeasured
  // warm-up; the issue allows 2 s), not one error.
  nlohmann::json after = Bench(
      server, {"--concurrency", "2", "--duration", "1", "--warmup", "0.5"});
  CHECK(Status(after, "OK") == after["count"].get<uint64_t>());
  CHECK(server.Stop() == 0);
}

}  // namespace strata::testing
