// RedisClusterFixture's cluster administration: CLUSTER NODES parsing, slot
// migration, and the waits for health and replication.
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/integration/redis_cluster_fixture.h"

namespace strata::testing {

namespace {

struct NodeLine {
  std::string id;
  int port = 0;
  bool master = false;
  bool failed = false;
  std::vector<std::pair<int, int>> slots;
};

std::vector<NodeLine> ParseClusterNodes(const std::string& text) {
  std::vector<NodeLine> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 8) continue;
    NodeLine n;
    n.id = std::string(f[0]);
    absl::string_view addr = f[1].substr(0, f[1].find('@'));
    if (!absl::SimpleAtoi(addr.substr(addr.rfind(':') + 1), &n.port)) continue;
    n.master = absl::StrContains(f[2], "master");
    n.failed = absl::StrContains(f[2], "fail");
    for (size_t i = 8; i < f.size(); ++i) {
      if (absl::StartsWith(f[i], "[")) continue;  // migration markers
      std::vector<absl::string_view> r = absl::StrSplit(f[i], '-');
      int lo = 0, hi = 0;
      if (!absl::SimpleAtoi(r[0], &lo)) continue;
      hi = lo;
      if (r.size() > 1 && !absl::SimpleAtoi(r[1], &hi)) continue;
      n.slots.push_back({lo, hi});
    }
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<int>> RedisClusterFixture::MasterPorts() {
  for (const auto& p : nodes_) {
    if (!p->running()) continue;
    absl::StatusOr<std::string> text = Command(p->port(), {"CLUSTER", "NODES"});
    if (!text.ok()) continue;
    std::vector<int> ports;
    for (const NodeLine& n : ParseClusterNodes(*text)) {
      if (n.master && !n.failed && !n.slots.empty()) ports.push_back(n.port);
    }
    return ports;
  }
  return absl::UnavailableError("no live redis node");
}

absl::StatusOr<int> RedisClusterFixture::MasterOf(uint16_t slot) {
  for (const auto& p : nodes_) {
    if (!p->running()) continue;
    absl::StatusOr<std::string> text = Command(p->port(), {"CLUSTER", "NODES"});
    if (!text.ok()) continue;
    for (const NodeLine& n : ParseClusterNodes(*text)) {
      for (auto [lo, hi] : n.slots) {
        if (n.master && lo <= slot && slot <= hi) return n.port;
      }
    }
    return absl::NotFoundError(absl::StrCat("slot ", slot, " has no master"));
  }
  return absl::UnavailableError("no live redis node");
}

absl::Status RedisClusterFixture::MigrateSlot(uint16_t slot, int to_port,
                                              absl::Duration ask_window) {
  absl::StatusOr<int> from = MasterOf(slot);
  if (!from.ok()) return from.status();
  if (*from == to_port) return absl::OkStatus();
  absl::StatusOr<std::string> from_id = NodeId(*from);
  absl::StatusOr<std::string> to_id = NodeId(to_port);
  if (!from_id.ok()) return from_id.status();
  if (!to_id.ok()) return to_id.status();
  const std::string s = absl::StrCat(slot);
  for (auto [port, args] :
       std::vector<std::pair<int, std::vector<std::string>>>{
           {to_port, {"CLUSTER", "SETSLOT", s, "IMPORTING", *from_id}},
           {*from, {"CLUSTER", "SETSLOT", s, "MIGRATING", *to_id}}}) {
    if (absl::StatusOr<std::string> r = Command(port, args); !r.ok()) {
      return r.status();
    }
  }
  for (;;) {
    absl::StatusOr<std::string> keys =
        Command(*from, {"CLUSTER", "GETKEYSINSLOT", s, "100"});
    if (!keys.ok()) return keys.status();
    if (keys->empty()) break;
    std::vector<std::string> migrate = {
        "MIGRATE", "127.0.0.1", absl::StrCat(to_port), "", "0", "10000"};
    if (!options_.password.empty()) {
      migrate.insert(migrate.end(), {"AUTH", options_.password});
    }
    migrate.push_back("KEYS");
    for (absl::string_view k : absl::StrSplit(*keys, '\n')) {
      migrate.emplace_back(k);
    }
    if (absl::StatusOr<std::string> r = Command(*from, migrate); !r.ok()) {
      return r.status();
    }
  }
  absl::SleepFor(ask_window);
  absl::StatusOr<std::vector<int>> masters = MasterPorts();
  if (!masters.ok()) return masters.status();
  std::vector<int> order = {to_port, *from};
  for (int m : *masters) {
    if (m != to_port && m != *from) order.push_back(m);
  }
  for (int port : order) {
    absl::StatusOr<std::string> r =
        Command(port, {"CLUSTER", "SETSLOT", s, "NODE", *to_id});
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

absl::Status RedisClusterFixture::WaitHealthy(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "not checked";
  while (absl::Now() < deadline) {
    bool ok = true;
    for (const auto& p : nodes_) {
      if (!p->running()) continue;
      absl::StatusOr<std::string> info =
          Command(p->port(), {"CLUSTER", "INFO"});
      if (!info.ok() || !absl::StrContains(*info, "cluster_state:ok") ||
          !absl::StrContains(*info, "cluster_slots_ok:16384")) {
        ok = false;
        last = info.ok() ? absl::StrCat(p->address(), ": ", *info)
                         : std::string(info.status().message());
        break;
      }
    }
    absl::StatusOr<std::vector<int>> masters = MasterPorts();
    if (ok && masters.ok()) {
      for (int m : *masters) {
        if (Process(m) == nullptr || !Process(m)->running()) {
          ok = false;
          last = absl::StrCat("dead master 127.0.0.1:", m, " still owns slots");
        }
      }
      if (ok) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("redis cluster not healthy: ", last));
}

absl::Status RedisClusterFixture::WaitReplicasInSync(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  bool all_running = true;
  for (const auto& p : nodes_) all_running = all_running && p->running();
  while (absl::Now() < deadline) {
    absl::StatusOr<std::vector<int>> masters = MasterPorts();
    bool ok = masters.ok();
    for (int m : ok ? *masters : std::vector<int>{}) {
      absl::StatusOr<std::string> info = Command(m, {"INFO", "replication"});
      if (!info.ok()) {
        ok = false;
        break;
      }
      std::string offset;
      int slaves = 0;
      for (absl::string_view line : absl::StrSplit(*info, "\r\n")) {
        if (absl::ConsumePrefix(&line, "master_repl_offset:")) {
          offset = std::string(line);
        }
      }
      for (absl::string_view line : absl::StrSplit(*info, "\r\n")) {
        if (!absl::StartsWith(line, "slave") ||
            !absl::StrContains(line, "ip=")) {
          continue;
        }
        ++slaves;
        if (!absl::StrContains(line, absl::StrCat("offset=", offset, ",")) ||
            !absl::StrContains(line, "state=online")) {
          ok = false;
        }
      }
      if (options_.replicas > 0 && slaves == 0 && all_running) ok = false;
    }
    if (ok) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError("redis replicas not in sync");
}

}  // namespace strata::testing
