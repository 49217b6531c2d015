#include "client/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <CLI/CLI.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/common/read_file.h"

namespace strata {
namespace {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const ChannelSecurity& s) {
  if (!s.uses_tls()) return grpc::InsecureChannelCredentials();
  if (s.tls_cert.empty() != s.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: set both or neither");
  }
  grpc::SslCredentialsOptions options;
  if (!s.tls_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadWholeFile("--tls-ca", s.tls_ca);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  if (!s.tls_cert.empty()) {
    absl::StatusOr<std::string> cert = ReadWholeFile("--tls-cert", s.tls_cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadWholeFile("--tls-key", s.tls_key);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(options);
}

}  // namespace

const char* ServiceConfigJson() {
  // Lookup, Infer and Echo read state and change none: safe to send again
  // to another pod when the first one is going away. CANCELLED too: a call
  // that reaches a server after its shutdown began but before the client
  // saw the GOAWAY comes back CANCELLED (grpc/grpc#41785); gRPC never
  // retries a call the caller cancelled or whose deadline passed.
  return R"({
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{
    "name": [{"service": "strata.v1.Embedding", "method": "Lookup"},
             {"service": "strata.v1.Embedding", "method": "Infer"},
             {"service": "strata.v1.Diagnostics", "method": "Echo"}],
    "retryPolicy": {
      "maxAttempts": 4,
      "initialBackoff": "0.05s",
      "maxBackoff": "1s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE", "CANCELLED"]
    }
  }]
})";
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> NewChannel(
    const std::string& target, const ChannelSecurity& security,
    grpc::ChannelArguments args) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      Credentials(security);
  if (!credentials.ok()) return credentials.status();
  args.SetServiceConfigJSON(ServiceConfigJson());
  args.SetMaxReceiveMessageSize(-1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  return grpc::CreateCustomChannel(target, *credentials, args);
}

absl::StatusOr<std::string> AuthorizationHeader(
    const ChannelSecurity& security) {
  if (security.token_file.empty()) return std::string();
  absl::StatusOr<std::string> token =
      ReadWholeFile("--token-file", security.token_file);
  if (!token.ok()) return token.status();
  std::string trimmed(absl::StripAsciiWhitespace(*token));
  if (trimmed.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--token-file ", security.token_file, " is empty"));
  }
  return absl::StrCat("Bearer ", trimmed);
}

void AddSecurityFlags(CLI::App* cmd, ChannelSecurity* security) {
  cmd->add_flag("--tls", security->tls,
                "TLS, verifying the server with the system's CA roots");
  cmd->add_option("--tls-ca", security->tls_ca,
                  "CA bundle (PEM) that signed the server's certificate: TLS");
  cmd->add_option("--tls-cert", security->tls_cert,
                  "Client certificate (PEM), for a server that wants mutual "
                  "TLS");
  cmd->add_option("--tls-key", security->tls_key,
                  "Private key (PEM) of --tls-cert");
  cmd->add_option("--token-file", security->token_file,
                  "File with the bearer token admin calls send (the "
                  "server's admin_token_file)");
}

}  // namespace strata
