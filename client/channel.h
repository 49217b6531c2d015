// How every client of ours reaches strata-server: one place that builds the
// channel credentials (plaintext, TLS, or mutual TLS), balances calls
// round-robin over every address the target resolves to (a Kubernetes
// headless Service: dns:///strata.ns.svc:8500), and retries UNAVAILABLE for
// the idempotent data-plane calls (Lookup, Infer, Echo), so a pod that drains
// costs the caller nothing. Used by StrataClient and `strata bench`.
//
// Plain functions; the returned channel is thread-safe (gRPC's).
#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace CLI {
class App;
}

namespace strata {

struct ChannelSecurity {
  bool tls = false;        // TLS with the system's CA roots
  std::string tls_ca;      // CA bundle (PEM) that signed the server: TLS
  std::string tls_cert;    // client certificate (PEM): mutual TLS
  std::string tls_key;     // its private key (PEM)
  std::string token_file;  // bearer token sent on admin calls

  bool uses_tls() const { return tls || !tls_ca.empty() || !tls_cert.empty(); }
};

// The service config every channel carries (round_robin, retry policy).
const char* ServiceConfigJson();

// `args` may carry the caller's own settings; the service config and a
// receive limit large enough for any reply are added.
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(
    const std::string& target, const ChannelSecurity& security,
    grpc::ChannelArguments args = {});

// The token of `security.token_file` as an "authorization" value
// ("Bearer <token>"), or "" when no file is set.
[[nodiscard]] absl::StatusOr<std::string> AuthorizationHeader(
    const ChannelSecurity& security);

// --tls, --tls-ca, --tls-cert, --tls-key and --token-file on a subcommand.
void AddSecurityFlags(CLI::App* cmd, ChannelSecurity* security);

}  // namespace strata
