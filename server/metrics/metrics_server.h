// MetricsServer: serves a MetricsRegistry's exposition over HTTP on
// `metrics_listen` (GET /metrics, Prometheus text format 0.0.4), on its own
// threads (cpp-httplib), away from the gRPC ones.
//
// Ownership: borrows the registry, which must outlive the server.
// Thread safety: Start and the destructor from one thread; scrapes run
// concurrently on the server's threads.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/metrics/metrics_registry.h"

namespace httplib {
class Server;
}

namespace strata {

class MetricsServer {
 public:
  // `listen` is host:port (port 0 picks a free one). FAILED_PRECONDITION
  // when the address cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, const MetricsRegistry* registry);
  // Stops serving and joins the threads.
  ~MetricsServer();

  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace strata
