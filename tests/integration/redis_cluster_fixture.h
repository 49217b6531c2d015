// Real Redis processes on loopback for integration tests and benchmarks:
// RedisProcess is one redis-server child; RedisClusterFixture starts
// `masters` masters with `replicas` replicas each (cluster-enabled servers on
// free ports, joined by `redis-cli --cluster create`), waits for
// cluster_state:ok, and offers the faults tests need (kill -9, slot
// migration).
//
// Children get PR_SET_PDEATHSIG, so they die with the test even if it
// crashes; destructors stop them by PID (SIGTERM, then SIGKILL) and delete
// their folder.
//
// Ownership: a fixture owns its processes and its temp folder.
// Thread safety: none; drive a fixture from one thread (tier calls from other
// threads are fine, they do not touch the fixture).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace strata::testing {

// True when redis-server and redis-cli are on PATH; else says why not.
bool RedisBinariesAvailable(std::string* reason);

class RedisProcess {
 public:
  // Starts `redis-server` on a free port with its files under `dir`, plus
  // `extra_args`, and waits until it answers PING.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RedisProcess>> Start(
      const std::string& dir, const std::vector<std::string>& extra_args,
      const std::string& password);
  ~RedisProcess();  // stops the server if it still runs

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string address() const;
  bool running() const { return pid_ > 0; }
  void Kill9();

 private:
  RedisProcess(int port, pid_t pid) : port_(port), pid_(pid) {}
  int port_;
  pid_t pid_;
};

struct RedisClusterFixtureOptions {
  int masters = 3;
  int replicas = 1;            // per master
  std::string password;        // requirepass and masterauth; "" for none
  int node_timeout_ms = 1000;  // cluster-node-timeout: failover speed
};

class RedisClusterFixture {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RedisClusterFixture>>
  Start(const RedisClusterFixtureOptions& options);
  ~RedisClusterFixture();

  // Every node ("127.0.0.1:port"), masters first as created.
  std::vector<std::string> seeds() const;
  const std::string& dir() const { return dir_; }

  // Runs one command on the node at `port`; the reply flattened to text
  // (arrays one element per line, integers in decimal). Error replies and
  // I/O failures are errors.
  [[nodiscard]] absl::StatusOr<std::string> Command(
      int port, const std::vector<std::string>& args);
  // Port of the master that owns `slot`, as a live node sees it.
  [[nodiscard]] absl::StatusOr<int> MasterOf(uint16_t slot);
  // Ports of the live masters.
  [[nodiscard]] absl::StatusOr<std::vector<int>> MasterPorts();
  // Moves `slot` (and its keys) to the master at `to_port` with the
  // IMPORTING / MIGRATING / MIGRATE / SETSLOT NODE protocol, pausing
  // `ask_window` after the keys moved and before ownership does (clients then
  // get ASK).
  [[nodiscard]] absl::Status MigrateSlot(uint16_t slot, int to_port,
                                         absl::Duration ask_window);
  // kill -9 of the node at `port`.
  void Kill9(int port);
  // Waits until every live node reports cluster_state:ok with all slots
  // served by live masters.
  [[nodiscard]] absl::Status WaitHealthy(absl::Duration timeout);
  // Waits until every live master's replicas have its replication offset.
  [[nodiscard]] absl::Status WaitReplicasInSync(absl::Duration timeout);

 private:
  RedisClusterFixture() = default;
  absl::StatusOr<std::string> NodeId(int port);
  RedisProcess* Process(int port);

  RedisClusterFixtureOptions options_;
  std::string dir_;
  std::vector<std::unique_ptr<RedisProcess>> nodes_;
};

// A fresh folder under $TMPDIR (or /tmp); the caller removes it.
std::string MakeTempDir(const std::string& stem);

}  // namespace strata::testing
