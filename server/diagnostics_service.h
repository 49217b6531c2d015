// DiagnosticsService: strata.v1.Diagnostics — a bare echo that answers
// inline, the baseline `strata bench --compare-echo` measures Lookup against.
//
// Stateless; thread-safe.
#pragma once

#include "strata/v1/diagnostics.grpc.pb.h"

namespace strata {

class DiagnosticsService final : public v1::Diagnostics::CallbackService {
 public:
  // Replies larger than this are refused (INVALID_ARGUMENT).
  explicit DiagnosticsService(uint32_t max_reply_bytes)
      : max_reply_bytes_(max_reply_bytes) {}

  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const v1::EchoRequest* request,
                                 v1::EchoResponse* response) override;

 private:
  const uint32_t max_reply_bytes_;
};

}  // namespace strata
