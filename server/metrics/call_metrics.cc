#include "server/metrics/call_metrics.h"

#include <chrono>

#include "absl/status/status.h"

namespace strata {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The full names of the methods counted by their own label.
constexpr const char* kKnown[] = {
    "/strata.v1.Embedding/Lookup",  "/strata.v1.Embedding/Infer",
    "/strata.v1.Admin/ListModels",  "/strata.v1.Admin/GetStats",
    "/strata.v1.Admin/PushUpdates", "/strata.v1.Diagnostics/Echo",
    "/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
};

class CallMetrics final : public grpc::experimental::Interceptor {
 public:
  explicit CallMetrics(const CallMetricsFactory::Method* method)
      : method_(method), start_(std::chrono::steady_clock::now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(methods->GetSendStatus().error_code());
      if (code >= 0 && code < 17) method_->by_code[code]->Add();
      method_->latency->Observe(std::chrono::duration<double>(
                                    std::chrono::steady_clock::now() - start_)
                                    .count());
    }
    methods->Proceed();
  }

 private:
  const CallMetricsFactory::Method* const method_;
  const std::chrono::steady_clock::time_point start_;
};

}  // namespace

CallMetricsFactory::CallMetricsFactory(MetricsRegistry* registry) {
  Family<Counter>& requests = registry->AddCounter(
      "strata_requests_total", "gRPC calls answered, by method and status code",
      {"method", "code"});
  Family<strata::Histogram>& latency = registry->AddHistogram(
      "strata_request_duration_seconds",
      "gRPC call time on the server, from arrival to the status being sent",
      {"method"}, strata::Histogram::LatencyBounds());
  std::vector<std::string> names(std::begin(kKnown), std::end(kKnown));
  names.push_back("other");
  for (const std::string& full : names) {
    auto m = std::make_unique<Method>();
    m->name = full.substr(full.rfind('/') + 1);
    for (int code = 0; code < 17; ++code) {
      m->by_code[code] = &requests.With(
          {m->name,
           absl::StatusCodeToString(static_cast<absl::StatusCode>(code))});
    }
    m->latency = &latency.With({m->name});
    methods_.emplace_back(full, std::move(m));
  }
}

grpc::experimental::Interceptor* CallMetricsFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  const char* method = info->method();
  for (const auto& [full, m] : methods_) {
    if (method != nullptr && full == method) return new CallMetrics(m.get());
  }
  return new CallMetrics(methods_.back().second.get());
}

}  // namespace strata
