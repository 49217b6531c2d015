// Call metrics: a gRPC server interceptor that counts every call by method
// and status code (strata_requests_total) and times it from arrival to the
// status being sent (strata_request_duration_seconds), for every service —
// calls refused in validation included.
//
// The children for the known methods and all 17 codes are made up front, so
// a call costs two relaxed atomic increments and a histogram observation,
// no lock.
//
// Ownership: the factory borrows the registry, which must outlive the server.
// Thread safety: gRPC creates and runs interceptors on many threads.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "server/metrics/metrics_registry.h"

namespace strata {

class CallMetricsFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallMetricsFactory(MetricsRegistry* registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  // The children of one method (its short name, e.g. "Lookup").
  struct Method {
    std::string name;
    std::array<Counter*, 17> by_code{};
    strata::Histogram* latency = nullptr;
  };

 private:
  // Constant after construction; the last entry is "other".
  std::vector<std::pair<std::string, std::unique_ptr<Method>>> methods_;
};

}  // namespace strata
